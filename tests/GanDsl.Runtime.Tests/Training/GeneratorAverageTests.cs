using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>
/// The generator's moving average (<see cref="GanOptions.GeneratorAverage"/>): the backend update against its formula,
/// the step's twin against a host replay of every update (weights and BatchNorm statistics), the images it draws,
/// checkpoints and resume, and the refusals.
/// </summary>
public sealed class GeneratorAverageTests : IDisposable
{
    private const int Batch = 16;
    private readonly CpuBackend _backend = new(2);
    private readonly TestData.TempDirectory _dir = new();
    private readonly MnistDataset _data = TestData.RandomImages(6 * Batch, seed: 3);

    [Fact]
    public void TheUpdateIsTheWarmedUpMovingAverage()
    {
        using var memory = _backend.Allocate(2 * 21);
        var values = memory.View(0, 1, 21);
        var average = memory.View(21, 1, 21);
        var x = Enumerable.Range(0, 21).Select(i => (float)Math.Sin(i)).ToArray();
        var a = Enumerable.Range(0, 21).Select(i => (float)Math.Cos(i)).ToArray();
        _backend.Upload(x, values);
        _backend.Upload(a, average);
        using var counter = _backend.CreateCounter(0);
        foreach (ulong t in new ulong[] { 0, 1, 5, 500, 100_000 })
        {
            _backend.SetCounter(counter, t);
            _backend.MovingAverage(values, average, 0.999f, counter);

            // d = min(0.999, (1 + t) / (10 + t)): 0.1 at t = 0, 0.1818 at 1, 0.4 at 5, 0.982 at 500, 0.999 after.
            double d = Math.Min(0.999, (1.0 + t) / (10.0 + t));
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (a[i] * (float)d) + (x[i] * (1f - (float)d));
            }

            Assert.True(a.SequenceEqual(Host(average)), $"t = {t}: {a[1]} against {Host(average)[1]}");
        }

        // A constant update number works as the counter's.
        _backend.MovingAverage(values, average, 0.5f, 100UL); // (1 + 100) / (10 + 100) is past 0.5
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (a[i] * 0.5f) + (x[i] * 0.5f);
        }

        Assert.Equal(a, Host(average));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void ABadDecayIsRefused(float decay)
    {
        using var memory = _backend.Allocate(8);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _backend.MovingAverage(memory.View(0, 1, 4), memory.View(4, 1, 4), decay, 1UL));
        Assert.Equal("decay", error.ParamName);
        Assert.Throws<ArgumentException>(() => _backend.MovingAverage(memory.View(0, 1, 4), memory.View(4, 1, 3), 0.9f, 1UL));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GanOptions { GeneratorAverage = decay }.Validate());
    }

    [Fact]
    public void TheTwinIsTheAverageOfEveryUpdateAndDrawsTheImages()
    {
        const float decay = 0.9f;
        using var g = new BatchNormImageGenerator(_backend, 1);
        using var d = new SeedDiscriminator(_backend, 2);
        using var trainer = new GanTrainer(g, d, new GanOptions { BatchSize = Batch, Seed = 4, GeneratorAverage = decay, SampleCount = 8 });
        var step = (GanStep)trainer.TrainingStep;
        var twin = step.Average!;
        Assert.NotNull(twin);
        Assert.Contains(step.Networks, n => n.Name == "generator.average" && ReferenceEquals(n.Network, twin));

        // Replay every update on the host from the generator's weights and statistics after each step.
        float[] weights = g.GetParameters(), statistics = g.GetState();
        Assert.Equal(weights, twin.GetParameters());
        trainer.StepCompleted += _ =>
        {
            float w = Backend.MovingAverageWeight(decay, (ulong)trainer.GeneratorOptimizer.StepCount);
            Blend(weights, g.GetParameters(), w);
            Blend(statistics, g.GetState(), w);
        };
        trainer.Fit(_data, 2);
        Assert.Equal(12, trainer.GeneratorOptimizer.StepCount);
        Assert.Equal(weights, twin.GetParameters());
        Assert.Equal(statistics, twin.GetState());
        Assert.NotEqual(g.GetParameters(), twin.GetParameters());

        // The grid and fresh images come from the twin, not the generator.
        var grid = trainer.GenerateSamples();
        var fromTwin = twin.Predict(FixedNoise(step, 8, g.InputFeatures), 8);
        Assert.Equal(fromTwin, grid);
        Assert.NotEqual(g.Predict(FixedNoise(step, 8, g.InputFeatures), 8), grid);
    }

    [Fact]
    public void ACheckpointKeepsTheAverageAndAResumedRunContinuesIt()
    {
        var options = new GanOptions { BatchSize = Batch, Seed = 5, GeneratorAverage = 0.95f, CheckpointDirectory = _dir.File("runs") };
        using var g1 = new BatchNormImageGenerator(_backend, 1);
        using var d1 = new SeedDiscriminator(_backend, 2);
        using var straight = new GanTrainer(g1, d1, options with { CheckpointDirectory = _dir.File("straight") });
        straight.Fit(_data, 3);

        using (var g2 = new BatchNormImageGenerator(_backend, 1))
        using (var d2 = new SeedDiscriminator(_backend, 2))
        using (var first = new GanTrainer(g2, d2, options))
        {
            first.Fit(_data, 2);
        }

        using var g3 = new BatchNormImageGenerator(_backend, 9);
        using var d3 = new SeedDiscriminator(_backend, 9);
        using var resumed = new GanTrainer(g3, d3, options);
        resumed.LoadCheckpoint(CheckpointFiles.Resolve("latest", _dir.File("runs")));
        resumed.Fit(_data, 3);
        var averageOf = (GanTrainer t) => ((GanStep)t.TrainingStep).Average!;
        Assert.Equal(averageOf(straight).GetParameters(), averageOf(resumed).GetParameters());
        Assert.Equal(averageOf(straight).GetState(), averageOf(resumed).GetState());
        Assert.Equal(straight.GenerateSamples(), resumed.GenerateSamples());

        // A checkpoint without the average is refused by a step that keeps one (and names the part).
        using var g4 = new BatchNormImageGenerator(_backend, 1);
        using var d4 = new SeedDiscriminator(_backend, 2);
        using var plain = new GanTrainer(g4, d4, new GanOptions { BatchSize = Batch, Seed = 5 });
        string path = plain.SaveCheckpoint(_dir.File("plain.safetensors"));
        using var g5 = new BatchNormImageGenerator(_backend, 1);
        using var d5 = new SeedDiscriminator(_backend, 2);
        using var averaging = new GanTrainer(g5, d5, options);
        var error = Assert.ThrowsAny<Exception>(() => averaging.LoadCheckpoint(path));
        Assert.Contains("generator.average", error.Message);
    }

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private static void Blend(float[] average, float[] values, float d)
    {
        for (int i = 0; i < average.Length; i++)
        {
            average[i] = (average[i] * d) + (values[i] * (1f - d));
        }
    }

    // The sample grid's noise, as ImageSampler draws it.
    private float[] FixedNoise(GanStep step, int count, int features)
    {
        using var noise = _backend.Allocate((long)count * features);
        _backend.RandomNormal(noise.All, step.Seed, GanDsl.Randomness.RandomStreams.FixedNoise, 0);
        return Host(noise.All);
    }

    private float[] Host(Tensor t)
    {
        var values = new float[t.Length];
        _backend.Download(t, values);
        return values;
    }
}
