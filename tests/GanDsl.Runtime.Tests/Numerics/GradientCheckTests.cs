using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Randomness;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// The generated float forward and backward passes against a double-precision reference and its
/// central finite differences: every layer kind, every activation, biases on and off, odd widths.
/// </summary>
public sealed class GradientCheckTests : IDisposable
{
    // Float forward vs double reference: relative to the output's magnitude.
    private const double ForwardTolerance = 2e-5;

    // Float analytic gradient vs double finite difference: |a - e| <= tol * (|e| + scale), where
    // scale is the mean |gradient| of the tensor, so tiny entries are judged against their neighbours.
    private const double GradientTolerance = 2e-3;

    private readonly CpuBackend _backend = new(2);

    public static TheoryData<string> Networks => new()
    {
        nameof(ReluNet), nameof(LeakyTanhNet), nameof(SigmoidNoBiasNet), nameof(ExponentialNet), nameof(UpsampleNet), nameof(DeepNet), nameof(SeedDiscriminator), nameof(SeedGenerator),
        nameof(ConvNet), nameof(TransposedNet), nameof(OutputSizeNet), nameof(ConditionNet), nameof(ConditionConvNet), nameof(TwinLayersNet),
        nameof(TwoHeadNet), nameof(ThreeHeadNet), nameof(ProductNet), nameof(PReluNet), nameof(InstanceNormNet), nameof(SkipNet),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void ForwardMatchesDoubleReference(string name)
    {
        using var net = Create(name, seed: 3);
        AssertForwardMatchesReference(net, rows: 5, inputSeed: 11, ForwardTolerance, name);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void BackwardMatchesFiniteDifferences(string name)
    {
        // Every parameter tensor, sampled (the seed generator has 227,344 parameters).
        using var net = Create(name, seed: 5);
        AssertGradientsMatchFiniteDifferences(net, rows: 4, inputSeed: 17, upstreamSeed: 23, perTensor: 40, tensorSeed: 0, inputs: 60, inputSampleSeed: 1, name);
    }

    // The DCGAN sample's networks at their real sizes (7x7x256 up to 28x28, 5x5 kernels, stride 2,
    // "same" padding), where the blocked and parallel paths of the CPU kernels are all taken: the
    // forward pass against the double reference, and sampled gradients against its finite differences.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DcganModelsAtFullSizeMatchTheReference(bool generator)
    {
        using Network net = generator ? new Dcgan.DcganGenerator(_backend, 3) : new Dcgan.DcganDiscriminator(_backend, 3);
        AssertForwardMatchesReference(net, rows: 3, inputSeed: 41, tolerance: 1e-4, net.Layout.Name);
        AssertGradientsMatchFiniteDifferences(net, rows: 3, inputSeed: 41, upstreamSeed: 29, perTensor: 3, tensorSeed: 1, inputs: 6, inputSampleSeed: 3, net.Layout.Name);
    }

    // The float forward pass against the double reference, relative to the output's magnitude.
    private void AssertForwardMatchesReference(Network net, int rows, ulong inputSeed, double tolerance, string name)
    {
        net.EnsureCapacity(rows);
        var input = RandomInput(net, rows, inputSeed);
        var reference = Prepare(net, rows, _backend);
        _backend.Upload(input, net.Input(rows));
        net.Forward(rows);
        var actual = Download(net.Output(rows));

        var expected = reference.Forward(ToDouble(net.GetParameters()), ToDouble(input), rows);
        double scale = expected.Max(Math.Abs) + 1e-3;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * scale,
                $"{name} output {i}: float {actual[i]} vs double {expected[i]}");
        }
    }

    // Sampled parameter gradients (perTensor per tensor, drawn with seed offset + tensorSeed) and input
    // gradients against central finite differences of the double reference's weighted output.
    private void AssertGradientsMatchFiniteDifferences(
        Network net, int rows, ulong inputSeed, ulong upstreamSeed, int perTensor, long tensorSeed, int inputs, long inputSampleSeed, string name)
    {
        net.EnsureCapacity(rows);
        var input = RandomInput(net, rows, inputSeed);
        var upstream = new float[rows * net.OutputFeatures];
        Philox.FillUniform(upstream, -1f, 1f, upstreamSeed, 0, 0);

        var reference = Prepare(net, rows, _backend);
        _backend.Upload(input, net.Input(rows));
        net.Forward(rows);
        _backend.Upload(upstream, net.OutputGradient(rows));
        net.Backward(rows, inputGradient: true);
        var parameterGradients = Download(net.Gradients);
        var inputGradients = Download(net.InputGradient(rows));

        var p = ToDouble(net.GetParameters());
        var x = ToDouble(input);
        var weights = ToDouble(upstream);
        foreach (var info in net.Layout.Parameters)
        {
            var indices = Sample((int)info.Offset, (int)info.Length, perTensor, seed: info.Offset + tensorSeed);
            double scale = MeanAbs(parameterGradients.AsSpan((int)info.Offset, (int)info.Length));
            foreach (int i in indices)
            {
                double expected = ReferenceNetwork.Derivative(q => reference.WeightedOutput(q, x, rows, weights), p, i);
                AssertClose(expected, parameterGradients[i], scale, $"{name}.{info.Name}[{i - info.Offset}]");
            }
        }

        double inputScale = MeanAbs(inputGradients);
        foreach (int i in Sample(0, x.Length, inputs, inputSampleSeed))
        {
            double expected = ReferenceNetwork.Derivative(q => reference.WeightedOutput(p, q, rows, weights), x, i);
            AssertClose(expected, inputGradients[i], inputScale, $"{name} input gradient [{i}]");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void FusedAndUnfusedKernelsAgree(string name)
    {
        var (fusedOut, fusedGrads, fusedInput) = RunStep(name, fuse: true, _backend);
        var (plainOut, plainGrads, plainInput) = RunStep(name, fuse: false, _backend);
        using var net = Create(name, seed: 8);
        if (!HasNarrowDense(net.Layout))
        {
            // Fusing bias and activation into one pass does the same float operations in the same order.
            Assert.Equal(fusedOut, plainOut);
            Assert.Equal(fusedGrads, plainGrads);
            Assert.Equal(fusedInput, plainInput);
            return;
        }

        // A narrow Dense layer (a few units, no activation) runs as its own dot-product kernels when fused and
        // as GEMMs when not: the same sums in another order, so equal to float rounding.
        AssertAllClose(plainOut, fusedOut, $"{name} output");
        AssertAllClose(plainGrads, fusedGrads, $"{name} parameter gradients");
        AssertAllClose(plainInput, fusedInput, $"{name} input gradient");
    }

    // A Dense layer of at most 4 units without an activation after it: the generator's narrow kernels.
    private static bool HasNarrowDense(NetworkLayout layout) =>
        layout.Layers.Select((layer, i) => (layer, i)).Any(l =>
            l.layer.Kind == LayerKind.Dense && l.layer.OutputFeatures <= 4
            && (l.i + 1 == layout.Layers.Count || layout.Layers[l.i + 1].Kind != LayerKind.Activation));

    private static void AssertAllClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = MeanAbs(expected);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * (Math.Abs(expected[i]) + scale), $"{what} [{i}]: fused {actual[i]}, unfused {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    [InlineData("DcganGenerator")]
    [InlineData("DcganDiscriminator")]
    public void ResultsDoNotDependOnThreadCount(string name)
    {
        using var single = new CpuBackend(1);
        var one = RunStep(name, fuse: true, single, rows: 67);
        var two = RunStep(name, fuse: true, _backend, rows: 67);
        Assert.Equal(one.Output, two.Output);
        Assert.Equal(one.Gradients, two.Gradients);
        Assert.Equal(one.InputGradient, two.InputGradient);
    }

    [Fact]
    public void AccumulateAddsToExistingGradients()
    {
        using var net = new DeepNet(_backend, 9);
        const int rows = 6;
        net.EnsureCapacity(rows);
        _backend.RandomNormal(net.Input(rows), 1, 0, 0);
        net.Forward(rows);
        _backend.Fill(net.OutputGradient(rows), 0.5f);
        net.Backward(rows);
        var once = Download(net.Gradients);

        _backend.Fill(net.OutputGradient(rows), 0.5f);
        net.Backward(rows, accumulate: true);
        var twice = Download(net.Gradients);
        for (int i = 0; i < once.Length; i++)
        {
            Assert.Equal(2 * once[i], twice[i], 1e-5f * (Math.Abs(once[i]) + 1e-6f));
        }
    }

    [Fact]
    public void InputGradientOnlyLeavesWeightGradientsAlone()
    {
        using var net = new SeedDiscriminator(_backend, 2);
        const int rows = 8;
        net.EnsureCapacity(rows);
        _backend.RandomNormal(net.Input(rows), 4, 0, 0);
        net.Forward(rows);
        _backend.Fill(net.Gradients, 7f);
        _backend.RandomNormal(net.OutputGradient(rows), 5, 0, 0);
        var upstream = Download(net.OutputGradient(rows));
        net.Backward(rows, weightGradients: false, inputGradient: true);
        Assert.All(Download(net.Gradients), g => Assert.Equal(7f, g));
        var inputOnly = Download(net.InputGradient(rows));

        _backend.Upload(upstream, net.OutputGradient(rows));
        net.Backward(rows, weightGradients: true, inputGradient: true);
        Assert.Equal(inputOnly, Download(net.InputGradient(rows)));
    }

    [Fact]
    public void BceWithLogitsMatchesFiniteDifferences()
    {
        var logitsValues = new[] { -30f, -4.5f, -0.3f, 0f, 0.7f, 3.2f, 25f };
        using var logits = _backend.Allocate(logitsValues.Length);
        using var grad = _backend.Allocate(logitsValues.Length);
        using var stats = _backend.Allocate(2);
        foreach (float target in new[] { 0f, 1f, 0.9f })
        {
            _backend.Upload(logitsValues, logits.View(0, logitsValues.Length, 1));
            _backend.Fill(stats.All, 0f);
            float scale = 1f / logitsValues.Length;
            _backend.Loss(LossKind.BinaryCrossEntropy, new LossOperands(logits.View(0, logitsValues.Length, 1), grad.View(0, logitsValues.Length, 1)),
                new LossSegment { Rows = logitsValues.Length, Target = target, GradientScale = scale, ValueScale = 1f, Sum = stats.View(0, 1, 1), Score = stats.View(1, 1, 1) });
            var g = Download(grad.All);
            var s = Download(stats.All);

            // The loss as its definition reads, -t log(sigmoid(l)) - (1 - t) log(1 - sigmoid(l)), in double.
            double Loss(double l)
            {
                double logP = -Math.Log(1 + Math.Exp(-l));
                double log1MinusP = -Math.Log(1 + Math.Exp(l));
                return -(target * logP + (1 - target) * log1MinusP);
            }

            double total = 0, probability = 0;
            for (int i = 0; i < logitsValues.Length; i++)
            {
                double l = logitsValues[i];
                total += Loss(l);
                probability += 1 / (1 + Math.Exp(-l));
                double expected = scale * (Loss(l + 1e-5) - Loss(l - 1e-5)) / 2e-5;
                Assert.True(Math.Abs(g[i] - expected) <= 1e-5, $"target {target}, logit {l}: gradient {g[i]} vs {expected}");
            }

            Assert.Equal(total, s[0], 1e-4 * total + 1e-5);
            Assert.Equal(probability / logitsValues.Length, s[1], 1e-5); // the score is a mean
        }
    }

    [Theory]
    [InlineData(LossKind.BinaryCrossEntropy, 1f)]
    [InlineData(LossKind.BinaryCrossEntropy, 0.9f)]
    [InlineData(LossKind.LogOneMinusSigmoid, 0f)]
    [InlineData(LossKind.HalfSquaredError, 1f)]
    [InlineData(LossKind.HalfSquaredError, 0f)]
    [InlineData(LossKind.Linear, -1f)]
    [InlineData(LossKind.Linear, 1f)]
    [InlineData(LossKind.Hinge, -1f)]
    [InlineData(LossKind.Hinge, 1f)]
    public void EveryLossTermMatchesFiniteDifferencesOfItsDefinition(LossKind term, float target)
    {
        // Each term as the papers write it, in double: Goodfellow et al. (BCE, minimax), Mao et al. (LSGAN),
        // Arjovsky et al. (Wasserstein), Lim and Ye / Miyato et al. (hinge).
        double Loss(double l) => term switch
        {
            LossKind.BinaryCrossEntropy => -(target * Math.Log(1 / (1 + Math.Exp(-l))) + (1 - target) * Math.Log(1 - 1 / (1 + Math.Exp(-l)))),
            LossKind.LogOneMinusSigmoid => Math.Log(1 - 1 / (1 + Math.Exp(-l))),
            LossKind.HalfSquaredError => 0.5 * (l - target) * (l - target),
            LossKind.Linear => target * l,
            _ => Math.Max(0, 1 + target * l),
        };

        var values = new[] { -6f, -1.3f, -0.4f, 0.25f, 0.8f, 1.7f, 5f };
        using var logits = _backend.Allocate(values.Length);
        using var gradient = _backend.Allocate(values.Length);
        using var stats = _backend.Allocate(2);
        _backend.Upload(values, logits.All);
        _backend.Loss(term, new LossOperands(logits.View(0, values.Length, 1), gradient.View(0, values.Length, 1)),
            new LossSegment { Rows = values.Length, Target = target, GradientScale = 0.5f, ValueScale = 1f, Sum = stats.View(0, 1, 1), Score = stats.View(1, 1, 1) });
        var g = Download(gradient.All);
        var s = Download(stats.All);
        double total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double l = values[i];
            total += Loss(l);
            double expected = 0.5 * (Loss(l + 1e-5) - Loss(l - 1e-5)) / 2e-5;
            Assert.True(Math.Abs(g[i] - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"{term}({target}) at {l}: {g[i]} vs {expected}");
        }

        Assert.Equal(total, s[0], 1e-4 * (1 + Math.Abs(total)));
    }

    public void Dispose() => _backend.Dispose();

    private (float[] Output, float[] Gradients, float[] InputGradient) RunStep(string name, bool fuse, CpuBackend backend, int rows = 13)
    {
        using var net = Create(name, seed: 8, backend);
        net.FuseKernels = fuse;
        net.EnsureCapacity(rows);
        Prepare(net, rows, backend);
        backend.RandomNormal(net.Input(rows), 31, 0, 0);
        net.Forward(rows);
        var output = Download(net.Output(rows), backend);
        backend.RandomNormal(net.OutputGradient(rows), 37, 0, 0);
        net.Backward(rows, inputGradient: true);
        return (output, Download(net.Gradients, backend), Download(net.InputGradient(rows), backend));
    }

    private Network Create(string name, ulong seed, Backend? backend = null)
    {
        backend ??= _backend;
        return name switch
        {
            nameof(ReluNet) => new ReluNet(backend, seed),
            nameof(LeakyTanhNet) => new LeakyTanhNet(backend, seed),
            nameof(SigmoidNoBiasNet) => new SigmoidNoBiasNet(backend, seed),
            nameof(ExponentialNet) => new ExponentialNet(backend, seed),
            nameof(UpsampleNet) => new UpsampleNet(backend, seed),
            nameof(DeepNet) => new DeepNet(backend, seed),
            nameof(SeedDiscriminator) => new SeedDiscriminator(backend, seed),
            nameof(SeedGenerator) => new SeedGenerator(backend, seed),
            nameof(ConvNet) => new ConvNet(backend, seed),
            nameof(TransposedNet) => new TransposedNet(backend, seed),
            nameof(OutputSizeNet) => new OutputSizeNet(backend, seed),
            nameof(ConditionNet) => new ConditionNet(backend, seed),
            nameof(ConditionConvNet) => new ConditionConvNet(backend, seed),
            nameof(TwinLayersNet) => new TwinLayersNet(backend, seed),
            nameof(TwoHeadNet) => new TwoHeadNet(backend, seed),
            nameof(ProductNet) => new ProductNet(backend, seed),
            nameof(PReluNet) => new PReluNet(backend, seed),
            nameof(InstanceNormNet) => new InstanceNormNet(backend, seed),
            nameof(SkipNet) => new SkipNet(backend, seed),
            nameof(ThreeHeadNet) => new ThreeHeadNet(backend, seed),
            nameof(Dcgan.DcganGenerator) => new Dcgan.DcganGenerator(backend, seed),
            nameof(Dcgan.DcganDiscriminator) => new Dcgan.DcganDiscriminator(backend, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    /// <summary>Labels (row % classes) for conditional networks and a dropout counter; the matching double reference.</summary>
    private static ReferenceNetwork Prepare(Network net, int rows, Backend backend)
    {
        net.EnsureCapacity(rows);
        net.RandomSeed = 77;
        net.DropoutCounter = 5;
        int[]? labels = null;
        if (net.Layout.ConditionClasses > 0)
        {
            labels = Enumerable.Range(0, rows).Select(r => (r * 7 + 1) % net.Layout.ConditionClasses).ToArray();
            backend.Upload(labels.Select(l => (float)l).ToArray(), net.Labels(rows));
        }

        return new ReferenceNetwork(net.Layout) { Labels = labels, Dropout = (77, 5) };
    }

    private static float[] RandomInput(Network net, int rows, ulong seed)
    {
        var x = new float[rows * net.InputFeatures];
        Philox.FillNormal(x, seed, 0, 0);
        return x;
    }

    private float[] Download(Tensor t, Backend? backend = null)
    {
        var values = new float[t.Length];
        (backend ?? _backend).Download(t, values);
        return values;
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }

    private static double MeanAbs(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += Math.Abs(v);
        }

        return values.Length == 0 ? 0 : sum / values.Length;
    }

    private static int[] Sample(int offset, int length, int count, long seed)
    {
        if (length <= count)
        {
            return Enumerable.Range(offset, length).ToArray();
        }

        var rng = new System.Random((int)seed);
        return Enumerable.Range(0, count).Select(_ => offset + rng.Next(length)).Distinct().ToArray();
    }

    private static void AssertClose(double expected, float actual, double scale, string what)
    {
        double error = Math.Abs(actual - expected);
        Assert.True(error <= GradientTolerance * (Math.Abs(expected) + scale) + 1e-7,
            $"{what}: analytic {actual} vs finite difference {expected} (error {error:E2}, scale {scale:E2})");
    }
}
