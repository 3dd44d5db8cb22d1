using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Training;

/// <summary>CycleGanStep's settings: what it refuses, and DiscoGAN's curriculum as two phases.</summary>
public sealed class CycleGanStepTests
{
    [Theory]
    [InlineData("cycle")]
    [InlineData("identity")]
    [InlineData("adversarial")]
    [InlineData("pool")]
    [InlineData("warm-up")]
    [InlineData("decay")]
    public void RefusesBadSettings(string which)
    {
        using var backend = new CpuBackend(1);
        var options = which switch
        {
            "cycle" => new CycleGanOptions { CycleWeight = float.NaN },
            "identity" => new CycleGanOptions { IdentityWeight = -1 },
            "adversarial" => new CycleGanOptions { AdversarialWeight = float.PositiveInfinity },
            "pool" => new CycleGanOptions { PoolSize = -1 },
            "warm-up" => new CycleGanOptions { WarmUpSteps = -5 },
            _ => new CycleGanOptions { DecayFrom = 4, LastEpoch = 4 },
        };
        var (gAB, gBA, dA, dB) = Networks(backend);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CycleGanStep(gAB, gBA, dA, dB, new AdamSettings(2e-4), options));
        Assert.Contains("CycleGAN's weights", error.Message);
        Dispose(gAB, gBA, dA, dB);
    }

    [Fact]
    public void RefusesGeneratorsThatChangeTheImagesSize()
    {
        using var backend = new CpuBackend(1);
        var (gAB, gBA, dA, dB) = Networks(backend);
        gBA.Dispose();
        using var wrong = new global::CycleGan.CycleGanDiscriminator(backend, 9); // 784 values to 49
        var error = Assert.Throws<ArgumentException>(() => new CycleGanStep(gAB, wrong, dA, dB, new AdamSettings(2e-4), new CycleGanOptions()));
        Assert.Contains("CycleGanDiscriminator 784 to 49", error.Message);
        Dispose(gAB, dA, dB);
    }

    [Fact]
    public void DiscoGansCurriculumIsAPhaseOfItsOwn()
    {
        using var backend = new CpuBackend(1);
        var (gAB, gBA, dA, dB) = Networks(backend);
        using var step = new CycleGanStep(gAB, gBA, dA, dB, new AdamSettings(2e-4), new CycleGanOptions
        {
            LeastSquares = false, Cycle = LossTerm.MeanSquaredError, WarmUpSteps = 100, WarmUpAdversarialWeight = 0.99f, WarmUpCycleWeight = 0.01f,
            AdversarialWeight = 0.5f, CycleWeight = 0.5f,
        });
        Assert.Equal(0, step.PhaseOf(99));
        Assert.Equal(1, step.PhaseOf(100));
        Assert.Contains("the first 100 steps 0.99 cross-entropy GAN + 0.01 cycle SquaredError", step.Describe()["loss"]);
        Assert.Contains("0.5 cross-entropy GAN + 0.5 cycle SquaredError", step.Describe()["loss"]);
        using var plain = new CycleGanStep(gAB, gBA, dA, dB, new AdamSettings(2e-4), new CycleGanOptions());
        Assert.Equal(1, plain.PhaseOf(0)); // no warm-up: the one phase from the start
        Dispose(gAB, gBA, dA, dB);
    }

    private static void Dispose(params Network[] networks)
    {
        foreach (var network in networks)
        {
            network.Dispose();
        }
    }

    private static (Network, Network, Network, Network) Networks(CpuBackend backend) =>
        (new global::CycleGan.CycleGanGenerator(backend, 1), new global::CycleGan.CycleGanGenerator(backend, 2),
            new global::CycleGan.CycleGanDiscriminator(backend, 3), new global::CycleGan.CycleGanDiscriminator(backend, 4));
}
