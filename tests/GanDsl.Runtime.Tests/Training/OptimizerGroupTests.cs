using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>Optimizers over parameter groups, and learning-rate schedules computed on the device.</summary>
public sealed class OptimizerGroupTests : IDisposable
{
    private readonly CpuBackend _backend = new(2);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AGroupUpdatesEachNetworkAsItsOwnOptimizerWould(bool adam)
    {
        using var a1 = new ReluNet(_backend, 1);
        using var b1 = new DeepNet(_backend, 2);
        using var a2 = new ReluNet(_backend, 1);
        using var b2 = new DeepNet(_backend, 2);
        OptimizerSettings settings = adam ? new AdamSettings(1e-2) : new RmsPropSettings(1e-2);
        using var group = Optimizer.Create(settings, a1, b1);
        using var alone1 = Optimizer.Create(settings, a2);
        using var alone2 = Optimizer.Create(settings, b2);
        for (int step = 0; step < 3; step++)
        {
            foreach (var (net, seed) in new (Network, int)[] { (a1, step), (b1, 10 + step), (a2, step), (b2, 10 + step) })
            {
                _backend.Upload(Random(net.ParameterCount, seed), net.Gradients);
            }

            group.Step();
            alone1.Step();
            alone2.Step();
        }

        Assert.Equal(a2.GetParameters(), a1.GetParameters());
        Assert.Equal(b2.GetParameters(), b1.GetParameters());
        Assert.Equal(alone2.State[0].Tensor.Span.ToArray(), group.StateOf(1)[0].Tensor.Span.ToArray());
        Assert.Equal(2, group.Networks.Count);
    }

    [Fact]
    public void AGroupRefusesANetworkTwiceOrFromAnotherBackend()
    {
        using var a = new ReluNet(_backend, 1);
        using var other = new CpuBackend(1);
        using var b = new ReluNet(other, 1);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => Optimizer.Create(new AdamSettings(), a, a)).Message);
        Assert.Contains("same backend", Assert.Throws<ArgumentException>(() => Optimizer.Create(new AdamSettings(), a, b)).Message);
    }

    [Fact]
    public void LinearDecayHoldsThenFallsToZero()
    {
        // CycleGAN's 100 + 100: full rate through epoch 100, then linearly down, zero after epoch 200.
        var schedule = LearningRateSchedule.LinearDecay(100, 200);
        Assert.Equal(1, schedule.FactorAt(0));
        Assert.Equal(1, schedule.FactorAt(99));
        Assert.Equal(1 - 1.0 / 101, schedule.FactorAt(100), 12);
        Assert.Equal(1.0 / 101, schedule.FactorAt(199), 12);
        Assert.Equal(0, schedule.FactorAt(200));
        Assert.Equal(0, schedule.FactorAt(500));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.LinearDecay(10, 10));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AScheduleScalesTheRateFromTheEpochCounter(bool adam)
    {
        // Epoch 150 of 100 + 100: the rate is scaled by 1 - 51/101; the update equals one at that rate.
        using var scheduled = new ReluNet(_backend, 1);
        using var plain = new ReluNet(_backend, 1);
        var schedule = LearningRateSchedule.LinearDecay(100, 200);
        double factor = schedule.FactorAt(150);
        OptimizerSettings settings = adam ? new AdamSettings(1e-2) : new RmsPropSettings(1e-2);
        OptimizerSettings scaled = adam ? new AdamSettings(1e-2 * (float)factor) : new RmsPropSettings(1e-2 * (float)factor);
        using var withSchedule = Optimizer.Create(settings, scheduled);
        withSchedule.Schedule = schedule;
        using var reference = Optimizer.Create(scaled, plain);
        using var epochs = _backend.CreateCounter(150);
        var gradient = Random(scheduled.ParameterCount, 5);
        _backend.Upload(gradient, scheduled.Gradients);
        _backend.Upload(gradient, plain.Gradients);
        withSchedule.UpdateSchedule(epochs);
        withSchedule.Step();
        reference.Step();

        // The factor is a float on the device; the reference rate rounds the same product, so they agree to float precision.
        var a = scheduled.GetParameters();
        var b = plain.GetParameters();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(b[i], a[i], 1e-6f);
        }

        var start = new ReluNet(_backend, 1).GetParameters();
        Assert.NotEqual(start, a);
    }

    [Fact]
    public void BackToAConstantScheduleTheRateIsTheSettingsAgain()
    {
        using var scheduled = new ReluNet(_backend, 1);
        using var plain = new ReluNet(_backend, 1);
        using var withSchedule = Optimizer.Create(new AdamSettings(1e-2), scheduled);
        using var reference = Optimizer.Create(new AdamSettings(1e-2), plain);
        using var epochs = _backend.CreateCounter(150);
        withSchedule.Schedule = LearningRateSchedule.LinearDecay(100, 200);
        withSchedule.UpdateSchedule(epochs);
        withSchedule.Schedule = LearningRateSchedule.Constant;
        withSchedule.UpdateSchedule(epochs);
        var gradient = Random(scheduled.ParameterCount, 7);
        _backend.Upload(gradient, scheduled.Gradients);
        _backend.Upload(gradient, plain.Gradients);
        withSchedule.Step();
        reference.Step();
        Assert.Equal(plain.GetParameters(), scheduled.GetParameters());
    }

    public void Dispose() => _backend.Dispose();

    private static float[] Random(long count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
