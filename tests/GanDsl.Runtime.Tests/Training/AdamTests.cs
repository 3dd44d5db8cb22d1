using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Training;

/// <summary>Adam against values worked out from its formula (Kingma and Ba 2015, PyTorch's form).</summary>
public sealed class AdamTests : IDisposable
{
    private readonly CpuBackend _backend = new(2);

    [Fact]
    public void TwoStepsMatchHandComputedValues()
    {
        // p = 1, lr 0.1, betas 0.9 / 0.999, eps 1e-8. Step 1 with g = 0.5:
        //   m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25, p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.90000002
        // Step 2 with g = -1:
        //   m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975
        //   m^ = -0.055 / 0.19 = -0.28947368, v^ = 0.00124975 / 0.001999 = 0.62518759
        //   p = 0.90000002 + 0.1 * 0.28947368 / (0.79068805 + 1e-8) = 0.93661028
        var settings = new AdamSettings(learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8);
        using var p = _backend.Allocate(1);
        using var g = _backend.Allocate(1);
        using var m = _backend.Allocate(1);
        using var v = _backend.Allocate(1);
        _backend.Fill(p.All, 1f);
        _backend.Fill(g.All, 0.5f);
        _backend.Adam(p.All, g.All, m.All, v.All, settings, 1);
        Assert.Equal(0.90000002, Read(p), 1e-6);
        Assert.Equal(0.05, Read(m), 1e-7);
        Assert.Equal(0.00025, Read(v), 1e-10);

        _backend.Fill(g.All, -1f);
        _backend.Adam(p.All, g.All, m.All, v.All, settings, 2);
        Assert.Equal(-0.055, Read(m), 1e-7);
        Assert.Equal(0.00124975, Read(v), 1e-9);
        Assert.Equal(0.93661028, Read(p), 1e-6);
    }

    [Fact]
    public void WholeBufferFollowsTheFormulaIncludingTailAndWeightDecay()
    {
        // 4099 elements: parallel blocks, vector lanes and a scalar tail.
        const int n = 4099;
        var settings = new AdamSettings(learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01);
        var p0 = new float[n];
        var m0 = new float[n];
        var v0 = new float[n];
        var grad = new float[n];
        for (int i = 0; i < n; i++)
        {
            p0[i] = MathF.Sin(i);
            m0[i] = 0.01f * MathF.Cos(i);
            v0[i] = 0.001f * (1 + MathF.Sin(3 * i));
            grad[i] = MathF.Cos(7 * i);
        }

        using var p = Upload(p0);
        using var g = Upload(grad);
        using var m = Upload(m0);
        using var v = Upload(v0);
        const int step = 5;
        _backend.Adam(p.All, g.All, m.All, v.All, settings, step);
        var pOut = Download(p);
        var mOut = Download(m);
        var vOut = Download(v);

        for (int i = 0; i < n; i++)
        {
            double mi = 0.5 * m0[i] + 0.5 * grad[i];
            double vi = 0.999 * v0[i] + 0.001 * grad[i] * (double)grad[i];
            double mHat = mi / (1 - Math.Pow(0.5, step));
            double vHat = vi / (1 - Math.Pow(0.999, step));
            double expected = p0[i] * (1 - 2e-4 * 0.01) - 2e-4 * mHat / (Math.Sqrt(vHat) + 1e-8);
            Assert.Equal(mi, mOut[i], 1e-6 * Math.Abs(mi) + 1e-9);
            Assert.Equal(vi, vOut[i], 1e-6 * vi);
            Assert.True(Math.Abs(pOut[i] - expected) <= 2e-7 + 1e-6 * Math.Abs(expected), $"element {i}: {pOut[i]} vs {expected}");
        }
    }

    [Theory]
    [InlineData(float.NaN, 3)]
    [InlineData(float.PositiveInfinity, 4096)]
    [InlineData(float.NegativeInfinity, 4102)]
    public void FlagsANonFiniteGradientInTheSamePass(float bad, int at)
    {
        // Positions in the vector body, in a second parallel block, and in the scalar tail.
        const int n = 4103;
        using var p = _backend.Allocate(n);
        using var g = _backend.Allocate(n);
        using var m = _backend.Allocate(n);
        using var v = _backend.Allocate(n);
        using var flag = _backend.Allocate(1);
        _backend.Fill(g.All, 0.25f);
        _backend.Adam(p.All, g.All, m.All, v.All, new AdamSettings(), 1, flag.All);
        Assert.Equal(0f, Read(flag));

        var values = new float[n];
        Array.Fill(values, 0.25f);
        values[at] = bad;
        _backend.Upload(values, g.All);
        _backend.Adam(p.All, g.All, m.All, v.All, new AdamSettings(), 2, flag.All);
        Assert.Equal(1f, Read(flag));
    }

    [Theory]
    [InlineData(true, 5)]
    [InlineData(true, 4100)]
    [InlineData(false, 5)]
    [InlineData(false, 4100)]
    public void FlagsAFiniteGradientTooLargeToSquare(bool adam, int at)
    {
        // With a learning rate far too high, gradients grow until (1 - beta) g^2 overflows: the gradient is finite, but the
        // second moment becomes infinite, and the update then divides by it and freezes the parameter. The pass flags it,
        // and only it: a gradient large but safe to square raises nothing.
        Assert.Equal(0f, Update(1e10f));
        Assert.Equal(1f, Update(1e30f));

        float Update(float gradient)
        {
            const int n = 4103;
            using var state = _backend.Allocate(4 * n);
            using var flag = _backend.Allocate(1);
            var values = new float[n];
            Array.Fill(values, 0.25f);
            values[at] = gradient;
            using var g = Upload(values);
            if (adam)
            {
                _backend.Adam(state.View(0, 1, n), g.All, state.View(n, 1, n), state.View(2 * n, 1, n), new AdamSettings(), 1, flag.All);
            }
            else
            {
                _backend.RmsProp(state.View(0, 1, n), g.All, state.View(n, 1, n), new RmsPropSettings(), flag.All);
            }

            return Read(flag);
        }
    }

    public void Dispose() => _backend.Dispose();

    private DeviceBuffer Upload(float[] values)
    {
        var buffer = _backend.Allocate(values.Length);
        _backend.Upload(values, buffer.All);
        return buffer;
    }

    private float[] Download(DeviceBuffer buffer)
    {
        var values = new float[buffer.Length];
        _backend.Download(buffer.All, values);
        return values;
    }

    private float Read(DeviceBuffer buffer) => Download(buffer)[0];
}
