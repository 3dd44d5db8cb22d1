using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// The generated loss kernels on the CPU against the losses' definitions in double: gradients for every operand
/// against central finite differences on tensors with several outputs per row, the summed value, mean score and
/// value outputs, constant and tensor targets, device weights, accumulation, two segments, and large tensors split
/// over the workers.
/// </summary>
public sealed class LossTests : IDisposable
{
    private const int Rows = 3, Cols = 5, Count = Rows * Cols;

    private readonly CpuBackend _backend = new(2);

    public static TheoryData<LossKind> Kinds()
    {
        var data = new TheoryData<LossKind>();
        foreach (var kind in Enum.GetValues<LossKind>())
        {
            data.Add(kind);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GradientsOfEveryOperandMatchFiniteDifferences(LossKind kind)
    {
        var (x, v, t) = LossDefinitions.Operands(kind, Count, seed: (int)kind + 1);
        bool target = LossDefinitions.UsesTarget(kind), second = LossDefinitions.UsesSecond(kind);
        const float weight = 0.75f;
        var ops = Operands(x, second ? v : null, target ? t : null, out var buffers);
        var outputs = _backend.Allocate(3);
        _backend.Loss(kind, ops, new LossSegment
        {
            Rows = Rows,
            GradientScale = weight / Count,
            ValueScale = 1f / Count,
            Sum = outputs.View(0, 1, 1),
            Score = outputs.View(1, 1, 1),
            Value = outputs.View(2, 1, 1),
        });

        // The weighted mean over all elements, as PyTorch's reduction='mean' times a weight.
        double Objective(int which, int at, double delta)
        {
            double total = 0;
            for (int i = 0; i < Count; i++)
            {
                double xi = x[i] + (which == 0 && i == at ? delta : 0);
                double vi = v[i] + (which == 1 && i == at ? delta : 0);
                double ti = t[i] + (which == 2 && i == at ? delta : 0);
                total += LossDefinitions.Value(kind, xi, vi, ti);
            }

            return weight * total / Count;
        }

        var gradients = new (string Name, Tensor Tensor, int Which, bool Used)[]
        {
            ("d/dx", buffers.Dx, 0, true), ("d/dv", buffers.Dv, 1, second), ("d/dt", buffers.Dt, 2, target),
        };
        foreach (var (name, tensor, which, used) in gradients.Where(g => g.Used))
        {
            var analytic = tensor.Span.ToArray();
            for (int i = 0; i < Count; i++)
            {
                double h = kind == LossKind.BinaryCrossEntropyOnProbability && which == 0 ? 1e-6 : 1e-5;
                double expected = (Objective(which, i, h) - Objective(which, i, -h)) / (2 * h);
                Assert.True(Math.Abs(analytic[i] - expected) <= 2e-4 * (Math.Abs(expected) + 1e-3),
                    $"{kind} {name} at element {i} (row {i / Cols}, column {i % Cols}): {analytic[i]} vs finite difference {expected}");
            }
        }

        double mean = Enumerable.Range(0, Count).Sum(i => LossDefinitions.Value(kind, x[i], v[i], t[i])) / Count;
        double score = Enumerable.Range(0, Count).Sum(i => LossDefinitions.Score(kind, x[i])) / Count;
        var o = outputs.All.Span;
        Assert.Equal(mean, o[0], 1e-5 * (1 + Math.Abs(mean)));
        Assert.Equal(score, o[1], 1e-5 * (1 + Math.Abs(score)));
        Assert.Equal(o[0], o[2]);
    }

    [Theory]
    [InlineData(LossKind.BinaryCrossEntropy)]
    [InlineData(LossKind.AbsoluteError)]
    [InlineData(LossKind.GaussianNegativeLogLikelihood)]
    public void AccumulationAddsTheScaledGradientAndADeviceWeightScalesIt(LossKind kind)
    {
        var (x, v, t) = LossDefinitions.Operands(kind, Count, seed: 5);
        bool second = LossDefinitions.UsesSecond(kind);

        float[] Gradient(bool accumulate, float weightOnDevice)
        {
            var ops = Operands(x, second ? v : null, t, out var buffers, accumulate);
            _backend.Fill(buffers.Dx, 0.5f);
            var weight = _backend.Allocate(1);
            _backend.Fill(weight.All, weightOnDevice);
            _backend.Loss(kind, ops, new LossSegment { Rows = Rows, GradientScale = 2f, Weight = weight.View(0, 1, 1) });
            return buffers.Dx.Span.ToArray();
        }

        var plain = Gradient(accumulate: false, weightOnDevice: 1f);
        var added = Gradient(accumulate: true, weightOnDevice: 1f);
        var negated = Gradient(accumulate: false, weightOnDevice: -0.25f);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(0.5f + plain[i], added[i], 1e-6f);
            Assert.Equal(-0.25f * plain[i], negated[i], 1e-6f);
        }
    }

    [Fact]
    public void TwoSegmentsEachHaveTheirTargetScaleAndOutputs()
    {
        // The discriminator's [fake; real] rows in one launch: fake rows against 0, real rows against 0.9.
        var (x, _, _) = LossDefinitions.Operands(LossKind.BinaryCrossEntropy, 7 * 2, seed: 9);
        var ops = Operands(x, null, null, out var both, cols: 2);
        var stats = _backend.Allocate(4);
        _backend.Loss(LossKind.BinaryCrossEntropy, ops,
            new LossSegment { Rows = 3, Target = 0f, GradientScale = 0.5f, ValueScale = 1f / 6, Sum = stats.View(0, 1, 1), Score = stats.View(1, 1, 1) },
            new LossSegment { Rows = 4, Target = 0.9f, GradientScale = 0.25f, ValueScale = 1f / 8, Sum = stats.View(2, 1, 1), Score = stats.View(3, 1, 1) });

        // The same as two launches of one segment each.
        var fake = Operands(x[..6], null, null, out var first, cols: 2);
        var real = Operands(x[6..], null, null, out var second, cols: 2);
        var separate = _backend.Allocate(4);
        _backend.Loss(LossKind.BinaryCrossEntropy, fake, new LossSegment { Rows = 3, Target = 0f, GradientScale = 0.5f, ValueScale = 1f / 6, Sum = separate.View(0, 1, 1), Score = separate.View(1, 1, 1) });
        _backend.Loss(LossKind.BinaryCrossEntropy, real, new LossSegment { Rows = 4, Target = 0.9f, GradientScale = 0.25f, ValueScale = 1f / 8, Sum = separate.View(2, 1, 1), Score = separate.View(3, 1, 1) });
        Assert.Equal([.. first.Dx.Span.ToArray(), .. second.Dx.Span.ToArray()], both.Dx.Span.ToArray());
        Assert.Equal(separate.All.Span.ToArray(), stats.All.Span.ToArray());

        double fakeLoss = Enumerable.Range(0, 6).Sum(i => LossDefinitions.Value(LossKind.BinaryCrossEntropy, x[i], 0, 0)) / 6;
        double realLoss = Enumerable.Range(6, 8).Sum(i => LossDefinitions.Value(LossKind.BinaryCrossEntropy, x[i], 0, 0.9)) / 8;
        Assert.Equal(fakeLoss, stats.All.Span[0], 1e-5);
        Assert.Equal(realLoss, stats.All.Span[2], 1e-5);
    }

    [Fact]
    public void ALargeLossIsTheSameOnOneThreadAndOnTwo()
    {
        // 64 x 784 elements: split into chunks over the workers, each chunk's sums added in chunk order.
        var (x, _, t) = LossDefinitions.Operands(LossKind.AbsoluteError, 64 * 784, seed: 3);
        float[] Run(CpuBackend backend)
        {
            var xs = backend.Allocate(x.Length);
            var ts = backend.Allocate(t.Length);
            var gs = backend.Allocate(x.Length + 2);
            backend.Upload(x, xs.All);
            backend.Upload(t, ts.All);
            backend.Loss(LossKind.AbsoluteError, new LossOperands(xs.View(0, 64, 784), gs.View(0, 64, 784), ts.View(0, 64, 784)),
                new LossSegment { Rows = 64, GradientScale = 1f / x.Length, ValueScale = 1f / x.Length, Sum = gs.View(x.Length, 1, 1), Score = gs.View(x.Length + 1, 1, 1) });
            return gs.All.Span.ToArray();
        }

        using var one = new CpuBackend(1);
        var expected = Run(one);
        Assert.Equal(expected, Run(_backend));
        double mean = x.Zip(t).Sum(p => Math.Abs((double)p.First - p.Second)) / x.Length;
        Assert.Equal(mean, expected[^2], 1e-6);
    }

    [Fact]
    public void OperandsTheLossDoesNotReadOrOfAnotherShapeAreRefused()
    {
        var x = _backend.Allocate(Count);
        var other = _backend.Allocate(Count + Rows);
        var segment = new LossSegment { Rows = Rows, GradientScale = 1f };
        var e = Assert.Throws<ArgumentException>(() => _backend.Loss(LossKind.BinaryCrossEntropy,
            new LossOperands(x.View(0, Rows, Cols), target: other.View(0, Rows, Cols + 1)), segment));
        Assert.Contains("one shape", e.Message);
        e = Assert.Throws<ArgumentException>(() => _backend.Loss(LossKind.KlDivergenceToStandardNormal,
            new LossOperands(x.View(0, Rows, Cols), target: x.View(0, Rows, Cols), second: x.View(0, Rows, Cols)), segment));
        Assert.Contains("does not take operands.Target", e.Message);
        e = Assert.Throws<ArgumentException>(() => _backend.Loss(LossKind.GaussianNegativeLogLikelihood, new LossOperands(x.View(0, Rows, Cols)), segment));
        Assert.Contains("log variance", e.Message);
        e = Assert.Throws<ArgumentException>(() => _backend.Loss(LossKind.Linear, new LossOperands(x.View(0, Rows, Cols)), segment with { Rows = 2 }));
        Assert.Contains("add up", e.Message);
    }

    [Fact]
    public void SoftmaxCrossEntropyMatchesFiniteDifferencesAndCountsTheRightRows()
    {
        const int rows = 4, classes = 10;
        var random = new Random(8);
        var logits = Enumerable.Range(0, rows * classes).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        var labels = new float[] { 3, 0, 9, 3 };
        var x = _backend.Allocate(rows * classes);
        var y = _backend.Allocate(rows);
        var g = _backend.Allocate(rows * classes);
        var outputs = _backend.Allocate(3);
        _backend.Upload(logits, x.All);
        _backend.Upload(labels, y.All);
        _backend.SoftmaxCrossEntropy(x.View(0, rows, classes), y.View(0, rows, 1), g.View(0, rows, classes), new LossSegment
        {
            Rows = rows, GradientScale = 0.5f / rows, ValueScale = 1f / rows, Sum = outputs.View(0, 1, 1), Score = outputs.View(1, 1, 1), Value = outputs.View(2, 1, 1),
        });

        // -log softmax at the label, as its definition reads, in double; half the mean over rows.
        double Loss(double[] z)
        {
            double total = 0;
            for (int r = 0; r < rows; r++)
            {
                double normaliser = Enumerable.Range(0, classes).Sum(c => Math.Exp(z[r * classes + c]));
                total -= Math.Log(Math.Exp(z[r * classes + (int)labels[r]]) / normaliser);
            }

            return total / rows;
        }

        var z = logits.Select(v => (double)v).ToArray();
        var gradient = g.All.Span.ToArray();
        for (int i = 0; i < z.Length; i++)
        {
            var plus = (double[])z.Clone();
            var minus = (double[])z.Clone();
            plus[i] += 1e-5;
            minus[i] -= 1e-5;
            double expected = 0.5 * (Loss(plus) - Loss(minus)) / 2e-5;
            Assert.True(Math.Abs(gradient[i] - expected) <= 1e-4 * (Math.Abs(expected) + 1e-3), $"logit {i}: {gradient[i]} vs {expected}");
        }

        int right = Enumerable.Range(0, rows).Count(r => logits.AsSpan(r * classes, classes).IndexOf(logits.AsSpan(r * classes, classes).ToArray().Max()) == (int)labels[r]);
        var o = outputs.All.Span.ToArray();
        Assert.Equal(Loss(z), o[0], 1e-5);
        Assert.Equal((float)right / rows, o[1]);
        Assert.Equal(o[0], o[2]);

        // A label that is not a class is refused before any row changes.
        _backend.Upload([3f, 0f, 10f, 1.5f], y.All);
        var before = g.All.Span.ToArray();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _backend.SoftmaxCrossEntropy(x.View(0, rows, classes), y.View(0, rows, 1), g.View(0, rows, classes),
            new LossSegment { Rows = rows, GradientScale = 1f }));
        Assert.Contains("Label 10 of row 2", e.Message);
        Assert.Equal(before, g.All.Span.ToArray());
    }

    public void Dispose() => _backend.Dispose();

    // Operands of (x.Length / cols, cols) and zeroed gradients for each operand given.
    private LossOperands Operands(float[] x, float[]? v, float[]? t, out (Tensor Dx, Tensor Dv, Tensor Dt) gradients, bool accumulate = false, int cols = Cols)
    {
        int rows = x.Length / cols;
        Tensor Make(float[]? values)
        {
            if (values is null)
            {
                return default;
            }

            var buffer = _backend.Allocate(values.Length);
            _backend.Upload(values, buffer.All);
            return buffer.View(0, rows, cols);
        }

        Tensor Zeros(bool wanted) => wanted ? _backend.Allocate(x.Length).View(0, rows, cols) : default;
        gradients = (Zeros(true), Zeros(v is not null), Zeros(t is not null));
        return new LossOperands(Make(x), gradients.Dx, Make(t), gradients.Dt, Make(v), gradients.Dv, accumulate);
    }
}
