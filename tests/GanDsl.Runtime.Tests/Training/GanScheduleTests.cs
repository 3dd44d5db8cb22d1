using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary><see cref="GanOptions.Schedule"/>: both of the GAN step's optimizers follow it, epoch by epoch, and the run says so.</summary>
public sealed class GanScheduleTests : IDisposable
{
    private const int Batch = 16;
    private readonly CpuBackend _backend = new(2);
    private readonly MnistDataset _data = TestData.RandomImages(6 * Batch, seed: 3);

    [Fact]
    public void BothNetworksLearnAtTheScheduledRate()
    {
        // Full rate in epoch 1, half in epoch 2 (linear decay from epoch 1 to zero after epoch 2), against a run whose
        // two rates are halved by hand after epoch 1.
        var rate = new AdamSettings(2e-3, beta1: 0.5);
        var options = new GanOptions { BatchSize = Batch, Seed = 4, GeneratorOptimizer = rate, DiscriminatorOptimizer = rate };
        using var g1 = new BatchNormImageGenerator(_backend, 1);
        using var d1 = new SeedDiscriminator(_backend, 2);
        using var scheduled = new GanTrainer(g1, d1, options with { Schedule = LearningRateSchedule.LinearDecay(1, 2) });
        scheduled.Fit(_data, 2);

        using var g2 = new BatchNormImageGenerator(_backend, 1);
        using var d2 = new SeedDiscriminator(_backend, 2);
        using var byHand = new GanTrainer(g2, d2, options);
        byHand.Fit(_data, 1);
        var half = new AdamSettings(1e-3, beta1: 0.5);
        byHand.GeneratorOptimizer.Settings = half;
        byHand.DiscriminatorOptimizer.Settings = half;
        byHand.Fit(_data, 2);

        using var g3 = new BatchNormImageGenerator(_backend, 1);
        using var d3 = new SeedDiscriminator(_backend, 2);
        using var constant = new GanTrainer(g3, d3, options);
        constant.Fit(_data, 2);

        AssertClose(g2.GetParameters(), g1.GetParameters());
        AssertClose(d2.GetParameters(), d1.GetParameters());
        Assert.NotEqual(g3.GetParameters(), g1.GetParameters());
        Assert.NotEqual(d3.GetParameters(), d1.GetParameters());

        Assert.Equal("linear decay from epoch 1 to zero after epoch 2", scheduled.TrainingStep.Describe()["learning_rate"]);
        Assert.False(constant.TrainingStep.Describe().ContainsKey("learning_rate"));
    }

    [Fact]
    public void NoScheduleIsRefused() =>
        Assert.Throws<ArgumentNullException>(() => new GanOptions { Schedule = null! }.Validate());

    public void Dispose() => _backend.Dispose();

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"[{i}]: {actual[i]} against {expected[i]}");
        }
    }
}
