using GanDsl.Backends.Cpu;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// [Initialization]: each scheme's distribution per parameter kind, on a network with every kind
/// (label embedding, convolution and transposed-convolution kernels, biases, BatchNorm, Dense).
/// </summary>
public sealed class InitializationTests : IDisposable
{
    private readonly CpuBackend _backend = new(1);

    [Fact]
    public void PyTorchIsTheDefault()
    {
        using var net = new PyTorchInitNet(_backend, 4);
        Assert.Equal(WeightInit.PyTorch, net.Layout.Initialization);
        var p = net.GetParameters();
        foreach (var info in net.Layout.Parameters)
        {
            var values = Slice(p, info);
            switch (info.Kind)
            {
                case ParameterKind.Weight:
                case ParameterKind.Bias:
                    double bound = 1 / Math.Sqrt(info.FanIn);
                    Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, bound));
                    if (values.Length >= 100)
                    {
                        AssertNear(bound / Math.Sqrt(3), Deviation(values), 0.1, info.Name);
                    }

                    Assert.Contains(values, v => v != 0);
                    break;
                case ParameterKind.Scale:
                    Assert.All(values, v => Assert.Equal(1f, v));
                    break;
                case ParameterKind.Shift:
                    Assert.All(values, v => Assert.Equal(0f, v));
                    break;
                case ParameterKind.Embedding:
                    AssertNear(1.0, Deviation(values), 0.5, info.Name);
                    break;
            }
        }
    }

    [Fact]
    public void KerasIsGlorotUniformWithZeroBiases()
    {
        using var net = new KerasInitNet(_backend, 4);
        Assert.Equal(WeightInit.Keras, net.Layout.Initialization);
        var p = net.GetParameters();
        foreach (var info in net.Layout.Parameters)
        {
            var values = Slice(p, info);
            switch (info.Kind)
            {
                case ParameterKind.Weight:
                    // Glorot: fan-in + fan-out, from the PyTorch-ordered shape.
                    var s = info.Shape;
                    double fans = s.Length == 4 ? (s[0] + s[1]) * s[2] * s[3] : s[0] + s[1];
                    double limit = Math.Sqrt(6 / fans);
                    Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, limit));
                    AssertNear(limit / Math.Sqrt(3), Deviation(values), 0.1, info.Name);
                    break;
                case ParameterKind.Bias:
                case ParameterKind.Shift:
                    Assert.All(values, v => Assert.Equal(0f, v));
                    break;
                case ParameterKind.Scale:
                    Assert.All(values, v => Assert.Equal(1f, v));
                    break;
                case ParameterKind.Embedding:
                    Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, 0.05));
                    Assert.Contains(values, v => v != 0);
                    break;
            }
        }

        Assert.Contains(net.Layout.Parameters, i => i.Kind == ParameterKind.Embedding);
        Assert.Contains(net.Layout.Parameters, i => i.Shape.Length == 4);
    }

    [Fact]
    public void DcganIsNormalWithDeviationTwoHundredths()
    {
        using var net = new DcganInitNet(_backend, 4);
        var p = net.GetParameters();
        foreach (var info in net.Layout.Parameters)
        {
            var values = Slice(p, info);
            switch (info.Kind)
            {
                case ParameterKind.Weight:
                    AssertNear(0.02, Deviation(values), 0.1, info.Name);
                    Assert.InRange(values.Average(), -0.003, 0.003);
                    break;
                case ParameterKind.Bias:
                case ParameterKind.Shift:
                    Assert.All(values, v => Assert.Equal(0f, v));
                    break;
                case ParameterKind.Scale:
                    // N(1, 0.02): near one, but drawn.
                    Assert.All(values, v => Assert.InRange(v, 0.9f, 1.1f));
                    Assert.InRange(Deviation(values), 0.008, 0.04);
                    break;
            }
        }
    }

    [Fact]
    public void SchemesAreSeeded()
    {
        using var a = new KerasInitNet(_backend, 9);
        using var b = new KerasInitNet(_backend, 9);
        using var c = new KerasInitNet(_backend, 10);
        using var d = new DcganInitNet(_backend, 9);
        using var e = new DcganInitNet(_backend, 9);
        Assert.Equal(a.GetParameters(), b.GetParameters());
        Assert.NotEqual(a.GetParameters(), c.GetParameters());
        Assert.Equal(d.GetParameters(), e.GetParameters());
    }

    public void Dispose() => _backend.Dispose();

    private static float[] Slice(float[] parameters, ParameterInfo info) => parameters.AsSpan((int)info.Offset, (int)info.Length).ToArray();

    private static double Deviation(float[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }

    private static void AssertNear(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * expected, $"{what}: standard deviation {actual:G4}, expected {expected:G4} within {relative:P0}");
}
