using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>InstanceNorm at CycleGAN's sizes, where the CPU splits the rows among its workers: each sample's channel normalised, the same bits for any thread count.</summary>
public sealed class InstanceNormTests
{
    private const int Rows = 16, Pixels = 16 * 16, Channels = 8;

    [Fact]
    public void EachSamplesChannelHasMeanZeroAndUnitVariance()
    {
        using var backend = new CpuBackend(2);
        var (x, _, y, _, _) = Run(backend);
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Channels; c++)
            {
                double mean = 0, squares = 0;
                for (int p = 0; p < Pixels; p++)
                {
                    double v = y[(r * Pixels + p) * Channels + c];
                    mean += v / Pixels;
                    squares += v * v / Pixels;
                }

                Assert.InRange(mean, -1e-5, 1e-5);
                Assert.InRange(squares - mean * mean, 0.999, 1.0001); // variance / (variance + 1e-5)
            }
        }

        Assert.NotEqual(x, y);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        using var one = new CpuBackend(1);
        using var two = new CpuBackend(2);
        var (_, _, y1, dx1, g1) = Run(one);
        var (_, _, y2, dx2, g2) = Run(two);
        Assert.Equal(y1, y2);
        Assert.Equal(dx1, dx2);
        Assert.Equal(g1, g2);
    }

    // Forward without affine, then the backward of an affine one: outputs, input gradient, scale and shift gradients.
    private static (float[] X, float[] Dy, float[] Y, float[] Dx, float[] ScaleShiftGradient) Run(CpuBackend backend)
    {
        int n = Rows * Pixels * Channels;
        var random = new Random(5);
        float[] x = [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 1))];
        float[] dy = [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] scaleShift = [.. Enumerable.Range(0, 2 * Channels).Select(i => 0.5f + i * 0.1f)];
        using var memory = backend.Allocate(4L * n + 4 * Channels);
        var (tx, tdy, ty, tdx) = (memory.View(0, Rows, Pixels * Channels), memory.View(n, Rows, Pixels * Channels), memory.View(2L * n, Rows, Pixels * Channels), memory.View(3L * n, Rows, Pixels * Channels));
        var (ss, gss) = (memory.View(4L * n, 2, Channels), memory.View(4L * n + 2 * Channels, 2, Channels));
        backend.Upload(x, tx);
        backend.Upload(dy, tdy);
        backend.Upload(scaleShift, ss);
        backend.InstanceNorm(tx, default, ty, Pixels, 1e-5f);
        backend.InstanceNormBackward(tdy, tx, ss, gss, tdx, Pixels, 1e-5f, accumulate: false);
        return (x, dy, Host(backend, ty), Host(backend, tdx), Host(backend, gss));
    }

    private static float[] Host(CpuBackend backend, Tensor t)
    {
        var values = new float[t.Length];
        backend.Download(t, values);
        return values;
    }
}
