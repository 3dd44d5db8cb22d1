using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>
/// The reparameterisation trick on the CPU: its draw against the formula in double, its gradient against central
/// finite differences of a weighted sum of the draw, the accumulating form, and the operand checks.
/// </summary>
public sealed class ReparameterizeTests
{
    private const int Rows = 7, Cols = 10, N = Rows * Cols;

    [Fact]
    public void DrawsMeanPlusDeviationTimesNoise()
    {
        using var backend = new CpuBackend(1);
        var (mean, logVariance, noise) = (Random(1, 1f), Random(2, 3f), Random(3, 1f));
        using var memory = backend.Allocate(4 * N);
        var (tm, tv, te, tz) = Views(memory);
        backend.Upload(mean, tm);
        backend.Upload(logVariance, tv);
        backend.Upload(noise, te);
        backend.Reparameterize(tm, tv, te, tz);
        var z = tz.Span.ToArray();
        for (int i = 0; i < N; i++)
        {
            double expected = mean[i] + Math.Exp(0.5 * logVariance[i]) * noise[i];
            Assert.True(Math.Abs(z[i] - expected) <= 1e-6 * (1 + Math.Abs(expected)), $"z[{i}] = {z[i]}, expected {expected}");
        }

        // In place over the noise, as a step that draws straight into its code does.
        backend.Reparameterize(tm, tv, te, te);
        Assert.Equal(z, te.Span.ToArray());
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesAndAccumulates()
    {
        using var backend = new CpuBackend(1);
        var (mean, logVariance, noise, weights) = (Random(4, 1f), Random(5, 2f), Random(6, 1f), Random(7, 1f));
        using var memory = backend.Allocate(7 * N);
        var (tm, tv, te, tdz) = Views(memory);
        var (tdm, tdv, tz) = (memory.View(4L * N, Rows, Cols), memory.View(5L * N, Rows, Cols), memory.View(6L * N, Rows, Cols));
        backend.Upload(mean, tm);
        backend.Upload(logVariance, tv);
        backend.Upload(noise, te);
        backend.Upload(weights, tdz); // L = sum of weights * z, so dL/dz = weights
        backend.ReparameterizeBackward(tdz, tv, te, tdm, tdv);
        var (dm, dv) = (tdm.Span.ToArray(), tdv.Span.ToArray());

        double Loss()
        {
            backend.Reparameterize(tm, tv, te, tz);
            double sum = 0;
            var z = tz.Span;
            for (int i = 0; i < N; i++)
            {
                sum += (double)weights[i] * z[i];
            }

            return sum;
        }

        const float h = 1e-2f;
        foreach (var (tensor, gradient, name) in new[] { (tm, dm, "mean"), (tv, dv, "log-variance") })
        {
            for (int i = 0; i < N; i++)
            {
                float saved = tensor.Span[i];
                tensor.Span[i] = saved + h;
                double plus = Loss();
                tensor.Span[i] = saved - h;
                double minus = Loss();
                tensor.Span[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(gradient[i] - numeric) <= 2e-3 * (1 + Math.Abs(numeric)), $"d{name}[{i}] = {gradient[i]}, finite differences {numeric}");
            }
        }

        // Accumulating adds the same terms to what is there.
        backend.Fill(tdm, 1f);
        backend.Fill(tdv, -2f);
        backend.ReparameterizeBackward(tdz, tv, te, tdm, tdv, accumulate: true);
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(1f + dm[i], tdm.Span[i]);
            Assert.Equal(-2f + dv[i], tdv.Span[i]);
        }
    }

    [Fact]
    public void RefusesOperandsOfAnotherLength()
    {
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate(5 * N);
        var (tm, tv, te, tz) = Views(memory);
        var shorter = memory.View(4L * N, Rows - 1, Cols);
        Assert.Equal("noise", Assert.Throws<ArgumentException>(() => backend.Reparameterize(tm, tv, shorter, tz)).ParamName);
        Assert.Equal("z", Assert.Throws<ArgumentException>(() => backend.Reparameterize(tm, tv, te, shorter)).ParamName);
        Assert.Equal("dLogVariance", Assert.Throws<ArgumentException>(() => backend.ReparameterizeBackward(tz, tv, te, tm, shorter)).ParamName);
        Assert.Equal("logVariance", Assert.Throws<ArgumentException>(() => backend.Reparameterize(tm, default, te, tz)).ParamName);
    }

    private static (Tensor, Tensor, Tensor, Tensor) Views(DeviceBuffer memory) =>
        (memory.View(0, Rows, Cols), memory.View(N, Rows, Cols), memory.View(2L * N, Rows, Cols), memory.View(3L * N, Rows, Cols));

    private static float[] Random(int seed, float scale)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, N).Select(_ => scale * (2f * random.NextSingle() - 1f)).ToArray();
    }
}
