using System.Globalization;
using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>
/// Checkpoints with fields out of their type or range, non-finite values, runs that diverge in new ways: each refused by
/// name, changing nothing; a checkpoint called good really is; and a resumed run prints what the unbroken run prints.
/// </summary>
public sealed class BadCheckpointTests : IDisposable
{
    private const int Batch = 32;
    private readonly CpuBackend _backend = new(2);
    private readonly TestData.TempDirectory _dir = new();
    private readonly MnistDataset _data = TestData.RandomImages(10 * Batch + 7, seed: 11);

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    public static TheoryData<string, string> BadFields() => new()
    {
        { "epoch", "4294967296" },
        { "epoch", "2147483648" },
        { "epoch", "-1" },
        { "epoch_position", "2147483648" },
        { "epoch_position", "5000000000" },
        { "epoch_steps", "999999" },
        { "step", "1e3" },
        { "step", " 12" },
        { "seed", "18446744073709551616" },
        { "seed", "-5" },
        { "batch_size", "0" },
        { "batch_size", "3000000000" },
        { "statistics.epoch_sums", "NaN" },
        { "statistics.epoch_sums", "Infinity" },
        { "statistics.epoch_counts", "-1" },
        { "optimizer.generator.optimizer.step", "x" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void EveryFieldIsCheckedAgainstItsTypeAndRangeAndRefusedByName(string key, string value)
    {
        string good = GoodCheckpoint();
        var file = SafetensorsFile.Read(good);
        var metadata = file.Metadata.ToDictionary();
        Assert.True(metadata.ContainsKey(key), $"the checkpoint has no '{key}': {string.Join(", ", metadata.Keys)}");

        // A list field gets the bad value in its first place.
        string original = metadata[key];
        metadata[key] = original.Contains(',', StringComparison.Ordinal) ? value + original[original.IndexOf(',', StringComparison.Ordinal)..] : value;
        string bad = _dir.File("bad.safetensors");
        SafetensorsFile.Write(bad, file.Tensors, metadata);

        using var trainer = Trainer(out var g, out _);
        var before = g.GetParameters();
        var e = Assert.Throws<CheckpointMismatchException>(() => trainer.LoadCheckpoint(bad));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Equal(before, g.GetParameters());
        Assert.Equal((0L, 0, 0), (trainer.StepCount, trainer.EpochCount, trainer.EpochPosition));
    }

    [Theory]
    [InlineData("generator.W0", float.PositiveInfinity)]
    [InlineData("discriminator.b2", float.NaN)]
    [InlineData("moment", float.PositiveInfinity)]
    [InlineData("moment", float.NaN)]
    public void NonFiniteParametersOrOptimizerStateAreRefusedWithTheTensorsName(string which, float poison)
    {
        string good = GoodCheckpoint();
        var file = SafetensorsFile.Read(good);
        string name = which == "moment" ? file.Tensors.Last(t => t.Name.StartsWith("generator.optimizer.", StringComparison.Ordinal)).Name : which;
        var tensors = file.Tensors.Select(t =>
        {
            if (t.Name != name)
            {
                return t;
            }

            var values = t.AsFloat32();
            values[values.Length / 2] = poison;
            return new SafetensorsTensor(t.Name, t.Shape.ToArray(), values);
        }).ToList();
        string bad = _dir.File("poisoned.safetensors");
        SafetensorsFile.Write(bad, tensors, file.Metadata);

        using var trainer = Trainer(out var g, out _);
        var before = g.GetParameters();
        var e = Assert.Throws<CheckpointFormatException>(() => trainer.LoadCheckpoint(bad));
        Assert.Contains($"tensor {name} holds {poison.ToString(CultureInfo.InvariantCulture)}", e.Message);
        Assert.Contains("not finite", e.Message);
        Assert.Equal(before, g.GetParameters());
        Assert.Null(trainer.LastCheckpoint);
    }

    [Fact]
    public void AnOptimizerMomentOfAnotherDtypeIsRefused()
    {
        string good = GoodCheckpoint();
        var file = SafetensorsFile.Read(good);
        string name = file.Tensors.First(t => t.Name.StartsWith("discriminator.optimizer.", StringComparison.Ordinal)).Name;
        var tensors = file.Tensors.Select(t => t.Name == name ? new SafetensorsTensor(t.Name, t.Shape.ToArray(), new long[t.ElementCount]) : t).ToList();
        string bad = _dir.File("dtype.safetensors");
        SafetensorsFile.Write(bad, tensors, file.Metadata);

        using var trainer = Trainer(out _, out _);
        var e = Assert.Throws<CheckpointMismatchException>(() => trainer.LoadCheckpoint(bad));
        Assert.Contains($"tensor {name} is I64, but optimizer state is F32", e.Message);
    }

    [Fact]
    public void APositionBeyondTheEpochIsRefusedBeforeAnyStep()
    {
        var file = SafetensorsFile.Read(GoodCheckpoint());
        var metadata = file.Metadata.ToDictionary();
        (metadata["step"], metadata["epoch_position"]) = ("500", "400");
        string bad = _dir.File("position.safetensors");
        SafetensorsFile.Write(bad, file.Tensors, metadata);

        using var trainer = Trainer(out var g, out _);
        trainer.LoadCheckpoint(bad);
        var before = g.GetParameters();
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(_data, 3));
        Assert.Contains("400 batches of epoch 2", e.Message);
        Assert.Contains("only 10 batches of 32", e.Message);
        Assert.Equal(before, g.GetParameters());
    }

    [Fact]
    public void TheLargestSeedRoundTrips()
    {
        using var a = Trainer(out _, out _, seed: ulong.MaxValue);
        a.Fit(_data, 1);
        string path = a.SaveCheckpoint(_dir.File("seed.safetensors"));
        using var b = Trainer(out _, out _, seed: 3);
        b.LoadCheckpoint(path);
        Assert.Equal(ulong.MaxValue, b.Options.Seed);
        Assert.Equal(a.GenerateSamples(), b.GenerateSamples());
    }

    [Fact]
    public void AResumedRunPrintsTheStatisticsOfTheRunThatNeverStopped()
    {
        // Two critic steps per generator step: the generator's loss is recorded on every other step, so the epoch's
        // counts, not its steps, divide its sum. Stopped at step 13, in the middle of a critic cycle and of epoch 2.
        using var straight = Trainer(out _, out _, seed: 6, criticSteps: 2);
        var straightEpochs = straight.Fit(_data, 2);

        using (var first = Trainer(out _, out _, seed: 6, criticSteps: 2, checkpoints: "stats"))
        {
            using var stop = new CancellationTokenSource();
            first.StepCompleted += s =>
            {
                if (s == 13)
                {
                    stop.Cancel();
                }
            };
            first.Fit(_data, 2, stop.Token);
        }

        using var resumed = Trainer(out _, out _, seed: 6, criticSteps: 2, checkpoints: "stats");
        resumed.LoadCheckpoint(CheckpointFiles.Resolve("latest", _dir.File("stats")));
        var resumedEpoch = Assert.Single(resumed.Fit(_data, 2));
        Assert.Equal(2, resumedEpoch.Epoch);
        // The printed line is the same; the values differ only in float rounding (the resumed run's device window
        // restarted at step 13, so its partial sums were added in another grouping).
        Assert.Equal(straightEpochs[1].Stats.ToString(), resumedEpoch.Stats.ToString());
        for (int i = 0; i < straightEpochs[1].Stats.Values.Count; i++)
        {
            Assert.Equal(straightEpochs[1].Stats.Values[i], resumedEpoch.Stats.Values[i], 1e-6);
        }
    }

    [Fact]
    public void ALearningRateFarTooHighStopsTheRunAndNoCheckpointOfItIsWritten()
    {
        // Adam at lr 1e8: the parameters leave float's range within a few steps. The run stops, and every checkpoint it
        // leaves holds only finite numbers.
        using var g = new SeedGenerator(_backend, 1);
        using var d = new SeedDiscriminator(_backend, 2);
        using var gan = new GanTrainer(g, d, new GanOptions
        {
            BatchSize = Batch,
            GeneratorOptimizer = new AdamSettings(1e8),
            DiscriminatorOptimizer = new AdamSettings(1e8),
            CheckpointDirectory = _dir.File("high"),
        });
        var e = Assert.Throws<TrainingDivergedException>(() => gan.Fit(_data, 20));
        Assert.Contains("NaN or infinity", e.Message);
        foreach (var path in CheckpointFiles.List(_dir.File("high")))
        {
            using var check = Trainer(out _, out _);
            check.LoadCheckpoint(path);
        }
    }

    [Fact]
    public void NoCheckpointIsWrittenOfARunWhoseParametersAreNotFinite()
    {
        using var gan = Trainer(out var g, out _, checkpoints: "inf");
        gan.Fit(_data, 1);
        var p = g.GetParameters();
        p[3] = float.PositiveInfinity;
        g.SetParameters(p);
        string target = _dir.File("inf/after.safetensors");
        var e = Assert.Throws<TrainingDivergedException>(() => gan.SaveCheckpoint(target));
        Assert.Contains("tensor generator.W0 holds ∞", e.Message.Replace("Infinity", "∞", StringComparison.Ordinal));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void ADivergenceBeforeTheFirstCheckpointSaysWhenThatWouldHaveCome()
    {
        using var g = new SeedGenerator(_backend, 1);
        using var d = new SeedDiscriminator(_backend, 2);
        using var gan = new GanTrainer(g, d, new GanOptions { BatchSize = Batch, CheckpointDirectory = _dir.File("late"), CheckpointEvery = 5 });
        gan.StepCompleted += step =>
        {
            if (step == 3)
            {
                var p = g.GetParameters();
                p[0] = float.NaN;
                g.SetParameters(p);
            }
        };

        var e = Assert.Throws<TrainingDivergedException>(() => gan.Fit(_data, 6));
        Assert.Contains("step 4", e.Message);
        Assert.Contains("the first comes at the end of epoch 5", e.Message);
        Assert.DoesNotContain("set a checkpoint directory", e.Message);
    }

    private string GoodCheckpoint()
    {
        string path = _dir.File("good.safetensors");
        if (!File.Exists(path))
        {
            using var gan = Trainer(out _, out _, criticSteps: 2);
            gan.Fit(_data, 1);
            gan.SaveCheckpoint(path);
        }

        return path;
    }

    private GanTrainer Trainer(out SeedGenerator generator, out SeedDiscriminator discriminator, ulong seed = 1, int criticSteps = 2, string? checkpoints = null)
    {
        generator = new SeedGenerator(_backend, seed);
        discriminator = new SeedDiscriminator(_backend, seed + 1);
        return new GanTrainer(generator, discriminator, new GanOptions
        {
            BatchSize = Batch,
            Seed = seed,
            CriticSteps = criticSteps,
            CheckpointDirectory = checkpoints is null ? null : _dir.File(checkpoints),
        });
    }
}
