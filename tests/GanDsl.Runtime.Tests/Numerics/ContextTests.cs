using GanDsl.Backends.Cpu;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// Several passes of one network in a step: two forward passes in two activation contexts, then each backward pass
/// through its own activations (BatchNorm's batch statistics, dropout, labels included), the parameter gradients adding.
/// </summary>
public sealed class ContextTests
{
    private const int Rows = 6;

    [Theory]
    [InlineData(nameof(DeepNet))]
    [InlineData(nameof(TransposedNet))]
    [InlineData(nameof(ConditionConvNet))]
    [InlineData(nameof(UpsampleNet))]
    public void EachBackwardUsesItsOwnContextsActivations(string name)
    {
        using var backend = new CpuBackend(2);
        var random = new Random(7);
        float[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        using var probe = Create(name, backend);
        var (x1, x2) = (Random(Rows * probe.InputFeatures), Random(Rows * probe.InputFeatures));
        var (g1, g2) = (Random(Rows * probe.OutputFeatures), Random(Rows * probe.OutputFeatures));

        // Two contexts: both forward passes first, then both backward passes.
        using var net = Create(name, backend);
        net.EnsureCapacity(Rows);
        net.EnsureContexts(2);
        Forward(net, 0, x1, batch: 0);
        Forward(net, 1, x2, batch: 1);
        var twoContexts = (Backward(net, 0, g1, accumulate: false), Backward(net, 1, g2, accumulate: true), Host(net.Gradients));

        // The reference: one context, each backward right after its forward.
        using var one = Create(name, backend);
        one.EnsureCapacity(Rows);
        Forward(one, 0, x1, batch: 0);
        var first = Backward(one, 0, g1, accumulate: false);
        Forward(one, 0, x2, batch: 1);
        var reference = (first, Backward(one, 0, g2, accumulate: true), Host(one.Gradients));

        Assert.Equal(reference.Item1, twoContexts.Item1);
        Assert.Equal(reference.Item2, twoContexts.Item2);
        Assert.Equal(reference.Item3, twoContexts.Item3);

        // Without contexts, the first backward would see the second batch's activations: the test can tell.
        using var mixed = Create(name, backend);
        mixed.EnsureCapacity(Rows);
        Forward(mixed, 0, x1, batch: 0);
        Forward(mixed, 0, x2, batch: 1);
        Assert.NotEqual(first, Backward(mixed, 0, g1, accumulate: false));
        Assert.Contains("2 contexts", net.MemorySummary());
    }

    /// <summary>Two forward passes in two contexts, then both backward passes: the input gradients and the parameter gradients, in one array.</summary>
    public static float[] TwoContexts(Backend backend, string name)
    {
        var random = new Random(7);
        using var net = Create(name, backend);
        float[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var (x1, x2) = (Random(Rows * net.InputFeatures), Random(Rows * net.InputFeatures));
        var (g1, g2) = (Random(Rows * net.OutputFeatures), Random(Rows * net.OutputFeatures));
        net.EnsureCapacity(Rows);
        net.EnsureContexts(2);
        Forward(net, 0, x1, batch: 0);
        Forward(net, 1, x2, batch: 1);
        return [.. Backward(net, 0, g1, accumulate: false), .. Backward(net, 1, g2, accumulate: true), .. Host(net.Gradients)];
    }

    [Fact]
    public void AContextBeyondTheDeclaredOnesIsRefused()
    {
        using var backend = new CpuBackend(1);
        using var net = new DeepNet(backend, 1);
        net.EnsureCapacity(4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.Context = 1);
        Assert.Contains("EnsureContexts(2)", e.Message);
        net.EnsureContexts(3);
        net.Context = 2;
        Assert.Equal(4, net.Capacity);
        Assert.Equal(4 * (3 * 2 * net.Layout.ActivationWidths.Sum() + net.Layout.ScratchPerSample), net.ArenaLength);
    }

    private static Network Create(string name, Backend backend) => name switch
    {
        nameof(DeepNet) => new DeepNet(backend, 3),
        nameof(TransposedNet) => new TransposedNet(backend, 3),
        nameof(ConditionConvNet) => new ConditionConvNet(backend, 3),
        nameof(UpsampleNet) => new UpsampleNet(backend, 3),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static void Forward(Network net, int context, float[] input, int batch)
    {
        net.Context = context;
        net.Backend.Upload(input, net.Input(Rows));
        if (net.Layout.ConditionClasses > 0)
        {
            // Each batch its own labels: rotated by the batch.
            net.Backend.Upload([.. Enumerable.Range(0, Rows).Select(r => (float)((r + batch) % net.Layout.ConditionClasses))], net.Labels(Rows));
        }

        net.Forward(Rows);
    }

    private static float[] Backward(Network net, int context, float[] outputGradient, bool accumulate)
    {
        net.Context = context;
        net.Backend.Upload(outputGradient, net.OutputGradient(Rows));
        net.Backward(Rows, inputGradient: true, accumulate: accumulate);
        return Host(net.InputGradient(Rows));
    }

    private static float[] Host(Tensor tensor)
    {
        var values = new float[tensor.Length];
        tensor.Buffer.Backend.Download(tensor, values);
        return values;
    }
}
