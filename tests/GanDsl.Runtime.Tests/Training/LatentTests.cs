using GanDsl.Backends.Cpu;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>A step that draws InfoGAN's kind of latent vector (noise, a categorical code, a uniform code) into a network's input.</summary>
public sealed class LatentStep : TrainingStep
{
    private readonly Optimizer _optimizer;

    public LatentStep(Backend backend, int batch)
        : base(backend, batch)
    {
        Net = AddNetwork("net", new ReluNet(backend, 1));
        _optimizer = AddOptimizer("net.optimizer", new AdamSettings(1e-3), Net);
        Codes = AddLatent([LatentPart.Normal(2), LatentPart.Categorical(4), LatentPart.Uniform(1, -1f, 1f)]);
        Net.EnsureCapacity(batch);
    }

    public Network Net { get; }

    public LatentCodes Codes { get; }

    public override void Run(StepContext s)
    {
        int n = BatchSize;
        s.Latent(Codes, Net.Input(n));
        Net.Forward(n);
        s.Loss(LossTerm.MeanSquaredError, Net.Output(n), Net.OutputGradient(n), target: 0f);
        Net.Backward(n);
        s.Update(_optimizer);
    }

    /// <summary>Runs <paramref name="steps"/> steps on <paramref name="backend"/> with <paramref name="seed"/>; the last draw's latent vectors and codes, in one array.</summary>
    public static float[] Draw(Backend backend, ulong seed, int steps, int batch = 64)
    {
        using var step = new LatentStep(backend, batch);
        using var net = step.Net;
        using var trainer = new Trainer(step, new TrainerOptions { Seed = seed, Log = null });
        trainer.Fit(TestData.RandomImages(batch * steps, seed: 1), epochs: 1);
        var values = new List<float>();
        foreach (var tensor in new[] { net.Input(batch), step.Codes.Code(0, batch), step.Codes.Code(1, batch), step.Codes.Code(2, batch) })
        {
            var host = new float[tensor.Length];
            backend.Download(tensor, host);
            values.AddRange(host);
        }

        return [.. values];
    }
}

public sealed class LatentTests
{
    [Fact]
    public void EachPartLandsInItsColumnsWithItsCode()
    {
        using var backend = new CpuBackend(2);
        const int batch = 64;
        var all = LatentStep.Draw(backend, seed: 5, steps: 2, batch);
        var z = all.AsSpan(0, batch * 7);
        var normal = all.AsSpan(batch * 7, batch * 2);
        var classes = all.AsSpan(batch * 9, batch);
        var uniform = all.AsSpan(batch * 10, batch);
        for (int r = 0; r < batch; r++)
        {
            var row = z.Slice(r * 7, 7);
            Assert.Equal(normal[r * 2], row[0]);
            Assert.Equal(normal[r * 2 + 1], row[1]);
            int c = (int)classes[r];
            Assert.True(c is >= 0 and < 4 && c == classes[r], $"class {classes[r]} at row {r}");
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(j == c ? 1f : 0f, row[2 + j]);
            }

            Assert.Equal(uniform[r], row[6]);
            Assert.InRange(row[6], -1f, 1f);
            Assert.True(row[6] < 1f);
        }

        // Every class occurs in a batch of 64, and the noise is not constant.
        Assert.Equal(4, classes.ToArray().Distinct().Count());
        Assert.True(normal.ToArray().Distinct().Count() > 100);
    }

    [Fact]
    public void DrawsFollowTheSeedAndTheStep()
    {
        using var backend = new CpuBackend(2);
        var first = LatentStep.Draw(backend, seed: 5, steps: 2);
        Assert.Equal(first, LatentStep.Draw(backend, seed: 5, steps: 2));
        Assert.NotEqual(first, LatentStep.Draw(backend, seed: 6, steps: 2));
        Assert.NotEqual(first, LatentStep.Draw(backend, seed: 5, steps: 3));
    }

    [Fact]
    public void CategoricalClassesAreUniformAndUniformCodesFillTheirRange()
    {
        using var backend = new CpuBackend(1);
        const int rows = 20_000, classes = 10;
        using var memory = backend.Allocate(rows * (1 + classes));
        var draws = memory.View(0, rows, 1);
        var codes = memory.View(rows, rows, classes);
        backend.RandomUniform(draws, 0f, classes, seed: 3, stream: 9, counter: default);
        backend.Categorical(draws, codes, 0, classes);
        var host = new float[rows];
        backend.Download(draws, host);
        var counts = new int[classes];
        foreach (float c in host)
        {
            counts[(int)c]++;
        }

        // Each class has 2,000 expected; 5 standard deviations of a binomial(20,000, 0.1) is about 212.
        Assert.All(counts, n => Assert.InRange(n, 1_790, 2_210));

        var uniform = memory.View(0, rows, 1);
        backend.RandomUniform(uniform, -1f, 1f, seed: 3, stream: 10, counter: default);
        backend.Download(uniform, host);
        Assert.InRange(host.Average(), -0.03, 0.03);
        Assert.InRange(host.Min(), -1f, -0.99f);
        Assert.InRange(host.Max(), 0.99f, 0.99999f);
    }

    [Fact]
    public void PartsAreCheckedWhenDeclaredAndDrawn()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LatentPart.Categorical(0));
        Assert.Throws<ArgumentException>(() => LatentPart.Uniform(2, 1f, 1f));
        Assert.Throws<ArgumentException>(() => LatentPart.Uniform(2, float.NaN, 1f));
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate(100);
        var e = Assert.Throws<ArgumentException>(() => backend.PlaceColumns(memory.View(0, 5, 3), memory.View(20, 5, 4), 2));
        Assert.Contains("at column 2", e.Message);
        Assert.Throws<ArgumentException>(() => backend.Categorical(memory.View(0, 5, 1), memory.View(20, 5, 4), 1, 4));
    }
}
