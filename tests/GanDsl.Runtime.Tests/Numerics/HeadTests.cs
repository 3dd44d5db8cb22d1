using GanDsl.Backends.Cpu;
using GanDsl.Randomness;
using GanDsl.Tests.Models;
using static GanDsl.Tests.Numerics.Numeric;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// Heads on a shared trunk: every head's output against the double reference, the gradients of the heads given against
/// finite differences of their weighted outputs (so two heads' gradients add in the trunk), and the API around them.
/// </summary>
public sealed class HeadTests : IDisposable
{
    private const int Rows = 5;
    private readonly CpuBackend _backend = new(2);

    public void Dispose() => _backend.Dispose();

    [Theory]
    [InlineData(nameof(TwoHeadNet))]
    [InlineData(nameof(ThreeHeadNet))]
    public void EveryHeadMatchesTheDoubleReference(string name)
    {
        using var net = Create(name);
        var x = Input(net);
        net.Forward(Rows);
        var expected = new ReferenceNetwork(net.Layout).ForwardHeads(ToDouble(net.GetParameters()), ToDouble(x), Rows);
        Assert.Equal(net.Heads.Count, expected.Length);
        for (int h = 0; h < net.Heads.Count; h++)
        {
            var actual = Host(net.Heads[h].Output(Rows));
            Assert.Equal(expected[h].Length, actual.Length);
            double scale = expected[h].Max(Math.Abs) + 1e-3;
            for (int i = 0; i < actual.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[h][i]) <= 2e-5 * scale, $"{name}.{net.Heads[h].Name} output {i}: float {actual[i]} vs double {expected[h][i]}");
            }
        }

        Assert.Equal(Host(net.Heads[0].Output(Rows)), Host(net.Output(Rows)));
    }

    [Theory]
    [InlineData(nameof(TwoHeadNet), new[] { "validity", "label" })]
    [InlineData(nameof(TwoHeadNet), new[] { "label" })]
    [InlineData(nameof(TwoHeadNet), new[] { "validity" })]
    [InlineData(nameof(ThreeHeadNet), new[] { "a", "b", "c" })]
    [InlineData(nameof(ThreeHeadNet), new[] { "c", "a" })]
    [InlineData(nameof(ThreeHeadNet), new[] { "b" })]
    public void GradientsOfTheHeadsGivenMatchFiniteDifferences(string name, string[] given)
    {
        using var net = Create(name);
        var x = Input(net);
        net.Forward(Rows);
        var weights = new double[]?[net.Heads.Count];
        HeadSet heads = default;
        foreach (var headName in given)
        {
            var head = net.Head(headName);
            var upstream = new float[Rows * head.Features];
            Philox.FillUniform(upstream, -1f, 1f, 23, (ulong)head.Index, 0);
            _backend.Upload(upstream, head.OutputGradient(Rows));
            weights[head.Index] = ToDouble(upstream);
            heads |= head;
        }

        net.Backward(Rows, heads, inputGradient: true);
        var gradients = Host(net.Gradients);
        var inputGradient = Host(net.InputGradient(Rows));

        var reference = new ReferenceNetwork(net.Layout);
        var p = ToDouble(net.GetParameters());
        var input = ToDouble(x);
        foreach (var info in net.Layout.Parameters)
        {
            // A parameter of a head not given gets no gradient written; every other one is checked, all of it.
            if (HeadOf(net, info.Name) is { } owner && weights[owner] is null)
            {
                continue;
            }

            double scale = MeanAbs(gradients.AsSpan((int)info.Offset, (int)info.Length));
            for (int i = (int)info.Offset; i < info.Offset + info.Length; i++)
            {
                double expected = ReferenceNetwork.Derivative(q => reference.WeightedHeads(q, input, Rows, weights), p, i);
                AssertClose(expected, gradients[i], scale, $"{name}.{info.Name}[{i - info.Offset}] given {string.Join("|", given)}");
            }
        }

        double inputScale = MeanAbs(inputGradient);
        for (int i = 0; i < input.Length; i++)
        {
            double expected = ReferenceNetwork.Derivative(q => reference.WeightedHeads(p, q, Rows, weights), input, i);
            AssertClose(expected, inputGradient[i], inputScale, $"{name} input gradient [{i}] given {string.Join("|", given)}");
        }
    }

    // The trunk's gradient from both heads is the sum of its gradients from each head alone, and a head not given keeps
    // the gradients it had.
    [Fact]
    public void TwoHeadsGradientsAddInTheTrunk()
    {
        using var net = Create(nameof(TwoHeadNet));
        Input(net);
        net.Forward(Rows);
        var validity = net.Head("validity");
        var label = net.Head("label");
        var gv = new float[Rows * validity.Features];
        var gl = new float[Rows * label.Features];
        Philox.FillUniform(gv, -1f, 1f, 5, 0, 0);
        Philox.FillUniform(gl, -1f, 1f, 5, 1, 0);

        float[] Run(HeadSet heads)
        {
            _backend.Fill(net.Gradients, 7f);
            _backend.Upload(gv, validity.OutputGradient(Rows));
            _backend.Upload(gl, label.OutputGradient(Rows));
            net.Backward(Rows, heads, inputGradient: true);
            return [.. Host(net.Gradients), .. Host(net.InputGradient(Rows))];
        }

        var both = Run(validity | label);
        var onlyValidity = Run(validity);
        var onlyLabel = Run(label);
        int trunk = (int)net.Layout.Parameters[2].Offset; // W0, b0 are the trunk's convolution
        int labelStart = (int)net.Layout.Parameters[4].Offset;
        for (int i = 0; i < both.Length; i++)
        {
            bool inTrunk = i < trunk || i >= net.ParameterCount;
            bool inLabel = !inTrunk && i >= labelStart;
            float expected = inTrunk ? onlyValidity[i] + onlyLabel[i] : inLabel ? onlyLabel[i] : onlyValidity[i];
            Assert.True(Math.Abs(both[i] - expected) <= 1e-5f * (1 + Math.Abs(expected)), $"value {i}: both heads {both[i]}, the heads alone add to {expected}");
            if (!inTrunk)
            {
                Assert.Equal(7f, inLabel ? onlyValidity[i] : onlyLabel[i]); // the head not given is left alone
            }
        }

        // The first head alone is also what the plain Backward takes, from the output gradient.
        _backend.Upload(gv, net.OutputGradient(Rows));
        net.Backward(Rows, inputGradient: true, accumulate: false);
        Assert.Equal(onlyValidity[..trunk], Host(net.Gradients)[..trunk]);
    }

    [Fact]
    public void HeadsAreFoundByNameAndCheckedWhenGiven()
    {
        using var net = Create(nameof(ThreeHeadNet));
        using var other = Create(nameof(TwoHeadNet));
        Assert.Equal(["a", "b", "c"], net.Heads.Select(h => h.Name));
        Assert.Equal(new TensorShape(2, 2, 2, true), net.Head("c").Shape);
        Assert.Equal(2, net.OutputFeatures);
        Assert.Equal(2, ThreeHeadNet.OutputSize);

        var missing = Assert.Throws<ArgumentException>(() => net.Head("d"));
        Assert.Contains("no head named 'd'", missing.Message);
        Assert.Contains("'a', 'b', 'c'", missing.Message);
        using var chain = new ReluNet(_backend);
        Assert.Contains("has no heads", Assert.Throws<ArgumentException>(() => chain.Head("a")).Message);
        Assert.Empty(chain.Heads);

        Assert.Contains("at least one head", Assert.Throws<ArgumentException>(() => net.Backward(Rows, default(HeadSet))).Message);
        Assert.Contains("another network", Assert.Throws<ArgumentException>(() => net.Head("a") | other.Head("label")).Message);
        Assert.Contains("TwoHeadNet's", Assert.Throws<ArgumentException>(() => net.Backward(Rows, other.Head("label"))).Message);
        Assert.True((net.Head("a") | net.Head("c")).Contains(net.Head("c")));
        Assert.False((net.Head("a") | net.Head("c")).Contains(net.Head("b")));
    }

    [Fact]
    public void TheSummaryDrawsTheHeadsAsATree()
    {
        string summary = TwoHeadNet.Definition.Summary;
        string[] lines = summary.Split('\n');
        Assert.Contains(lines, l => l.Contains("├─ Head(\"validity\")", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("│  Dense(1)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("└─ Head(\"label\")", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("   Dense(5)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("(batch, 4)", StringComparison.Ordinal));
    }

    // The head a parameter belongs to (from the layer table), or null in the trunk.
    private static int? HeadOf(Network net, string parameter)
    {
        int head = -1;
        foreach (var layer in net.Layout.Layers)
        {
            if (layer.Kind == LayerKind.Head)
            {
                head++;
            }

            if ((layer.WeightIndex >= 0 && net.Layout.Parameters[layer.WeightIndex].Name == parameter)
                || (layer.BiasIndex >= 0 && net.Layout.Parameters[layer.BiasIndex].Name == parameter))
            {
                return head >= 0 ? head : null;
            }
        }

        return null;
    }

    private Network Create(string name) => name switch
    {
        nameof(TwoHeadNet) => new TwoHeadNet(_backend, 3),
        nameof(ThreeHeadNet) => new ThreeHeadNet(_backend, 3),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private float[] Input(Network net)
    {
        net.EnsureCapacity(Rows);
        var x = new float[Rows * net.InputFeatures];
        Philox.FillNormal(x, 11, 0, 0);
        _backend.Upload(x, net.Input(Rows));
        return x;
    }

    private float[] Host(Tensor t)
    {
        var values = new float[t.Length];
        _backend.Download(t, values);
        return values;
    }
}
