using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Randomness;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// WGAN-GP's second-order pass against a double-precision numerical reference: the penalty
/// P = w * sum_r (|dD/dx_r| - 1)^2, its inner gradient by finite differences of the reference network
/// (exact for these piecewise-linear critics), its outer gradient by finite differences of P.
/// </summary>
public sealed class GradientPenaltyTests : IDisposable
{
    private const float Weight = 0.7f;
    private const int Rows = 3;
    private readonly CpuBackend _backend = new(2);

    public static TheoryData<string> Critics => new() { nameof(PenaltyMlp), nameof(PenaltyConv), nameof(PenaltyConditional), nameof(PenaltyTransposed), nameof(PenaltyUpsample) };

    [Theory]
    [MemberData(nameof(Critics))]
    public void PenaltyGradientMatchesFiniteDifferences(string name)
    {
        using var net = Create(name);
        net.EnsureCapacity(Rows);
        net.RandomSeed = 3;
        net.DropoutCounter = 9;
        int[]? labels = null;
        if (net.Layout.ConditionClasses > 0)
        {
            labels = [2, 0, 1];
            _backend.Upload(labels.Select(l => (float)l).ToArray(), net.Labels(Rows));
        }

        var x = new float[Rows * net.InputFeatures];
        Philox.FillNormal(x, 21, 0, 0);

        // The generated passes: forward, input gradient with dL/dy = 1, penalty, second-order pass.
        _backend.Upload(x, net.Input(Rows));
        net.Forward(Rows);
        var ones = net.OutputGradient(Rows);
        _backend.Fill(ones, 1f);
        net.Backward(Rows, weightGradients: false, inputGradient: true);
        using var u = _backend.Allocate(Rows * net.InputFeatures);
        using var stats = _backend.Allocate(2);
        _backend.GradientPenalty(net.InputGradient(Rows), Weight, u.View(0, Rows, net.InputFeatures), stats.All);
        net.ZeroGradients();
        net.GradientPenaltyBackward(Rows, u.View(0, Rows, net.InputFeatures), ones);
        var analytic = new float[net.ParameterCount];
        _backend.Download(net.Gradients, analytic);
        var penalty = new float[2];
        _backend.Download(stats.All, penalty);

        // The reference.
        var reference = new ReferenceNetwork(net.Layout) { Labels = labels, Dropout = (3, 9) };
        var xd = x.Select(v => (double)v).ToArray();
        var p = net.GetParameters().Select(v => (double)v).ToArray();
        double Penalty(double[] parameters)
        {
            var sum = new double[Rows];
            double Total(double[] input) => reference.Forward(parameters, input, Rows).Sum();
            var gradient = new double[xd.Length];
            for (int i = 0; i < xd.Length; i++)
            {
                gradient[i] = ReferenceNetwork.Derivative(Total, xd, i, 1e-6);
            }

            double total = 0;
            for (int r = 0; r < Rows; r++)
            {
                double norm = Math.Sqrt(gradient.Skip(r * net.InputFeatures).Take(net.InputFeatures).Sum(v => v * v));
                total += (norm - 1) * (norm - 1);
            }

            return Weight * total;
        }

        Assert.Equal(Penalty(p), penalty[0], 1e-4 * Math.Max(1, Math.Abs(penalty[0])));
        double scale = analytic.Average(v => Math.Abs(v)) + 1e-6;
        foreach (var info in net.Layout.Parameters)
        {
            for (int j = 0; j < Math.Min(24, info.Length); j++)
            {
                int index = (int)info.Offset + (int)(j * info.Length / Math.Min(24, info.Length));
                double expected = ReferenceNetwork.Derivative(Penalty, p, index, 1e-5);
                Assert.True(Math.Abs(analytic[index] - expected) <= 2e-3 * (Math.Abs(expected) + scale) + 1e-6,
                    $"{name}.{info.Name}[{index - info.Offset}]: second-order pass {analytic[index]} vs finite difference {expected}");
            }
        }
    }

    [Fact]
    public void NetworksWithoutTheAttributeRefuseClearly()
    {
        using var net = new SeedDiscriminator(_backend, 1);
        net.EnsureCapacity(2);
        var e = Assert.Throws<NotSupportedException>(() => net.GradientPenaltyBackward(2, net.InputGradient(2), net.OutputGradient(2)));
        Assert.Contains("[GradientPenalty]", e.Message);
    }

    public void Dispose() => _backend.Dispose();

    private Network Create(string name) => name switch
    {
        nameof(PenaltyMlp) => new PenaltyMlp(_backend, 4),
        nameof(PenaltyConv) => new PenaltyConv(_backend, 4),
        nameof(PenaltyConditional) => new PenaltyConditional(_backend, 4),
        nameof(PenaltyTransposed) => new PenaltyTransposed(_backend, 4),
        nameof(PenaltyUpsample) => new PenaltyUpsample(_backend, 4),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
