using GanDsl.Backends.Cpu;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>Checkpoints of a whole GAN run: round trip, bit-identical resume, refusals, divergence.</summary>
public sealed class CheckpointTests : IDisposable
{
    private const int Batch = 32;
    private readonly CpuBackend _backend = new(2);
    private readonly TestData.TempDirectory _dir = new();
    private readonly MnistDataset _data = TestData.RandomImages(10 * Batch + 7, seed: 7);

    [Fact]
    public void RoundTripRestoresEverything()
    {
        using var a = Trainer(out var g1, out var d1, seed: 1);
        a.Fit(_data, 2);
        string path = a.SaveCheckpoint(_dir.File("a.safetensors"));

        using var b = Trainer(out var g2, out var d2, seed: 99);
        b.LoadCheckpoint(path);
        Assert.Equal(g1.GetParameters(), g2.GetParameters());
        Assert.Equal(d1.GetParameters(), d2.GetParameters());
        Assert.Equal(Host(a.GeneratorOptimizer.State[1].Tensor), Host(b.GeneratorOptimizer.State[1].Tensor));
        Assert.Equal(Host(a.DiscriminatorOptimizer.State[0].Tensor), Host(b.DiscriminatorOptimizer.State[0].Tensor));
        Assert.Equal((a.StepCount, a.EpochCount, a.EpochPosition), (b.StepCount, b.EpochCount, b.EpochPosition));
        Assert.Equal(a.GeneratorOptimizer.StepCount, b.GeneratorOptimizer.StepCount);
        Assert.Equal(a.GenerateSamples(), b.GenerateSamples());

        // PyTorch-friendly tensors: one per parameter, with nn.Linear's shapes.
        var file = SafetensorsFile.Read(path);
        Assert.Equal([256, 100], file["generator.W0"].Shape);
        Assert.Equal([256], file["generator.b0"].Shape);
        Assert.Equal([1, 50], file["discriminator.W2"].Shape);
        Assert.Equal(GanTrainer.CheckpointFormat, file.Metadata["format"]);
    }

    [Fact]
    public void ResumedRunIsBitIdenticalToAnUninterruptedOne()
    {
        // Reference: three epochs straight through.
        using var straight = Trainer(out var gs, out var ds, seed: 5, checkpoints: "straight");
        straight.Fit(_data, 3);

        // Interrupted in the middle of epoch 2 (step 13), written on cancellation, resumed in a fresh trainer.
        using (var first = Trainer(out _, out _, seed: 5, checkpoints: "resumed"))
        {
            using var stop = new CancellationTokenSource();
            first.StepCompleted += step =>
            {
                if (step == 13)
                {
                    stop.Cancel();
                }
            };
            first.Fit(_data, 3, stop.Token);
            Assert.Equal(13, first.StepCount);
            Assert.Equal((1, 3), (first.EpochCount, first.EpochPosition));
        }

        string latest = CheckpointFiles.Resolve("latest", _dir.File("resumed"));
        using var resumed = Trainer(out var gr, out var dr, seed: 77, checkpoints: "resumed");
        resumed.LoadCheckpoint(latest);
        resumed.Fit(_data, 3);

        Assert.Equal(straight.StepCount, resumed.StepCount);
        Assert.Equal(gs.GetParameters(), gr.GetParameters());
        Assert.Equal(ds.GetParameters(), dr.GetParameters());
        Assert.Equal(Host(straight.GeneratorOptimizer.State[0].Tensor), Host(resumed.GeneratorOptimizer.State[0].Tensor));
    }

    [Fact]
    public void KeepsOnlyTheLastCheckpoints()
    {
        using var gan = Trainer(out _, out _, seed: 2, checkpoints: "keep", keep: 2);
        gan.Fit(_data, 4);
        var files = CheckpointFiles.List(_dir.File("keep")).Select(f => Path.GetFileName(f)).ToArray();
        Assert.Equal(new[] { "checkpoint_e003_s00000030.safetensors", "checkpoint_e004_s00000040.safetensors" }, files);
        Assert.Empty(Directory.GetFiles(_dir.File("keep"), "*.tmp*"));
    }

    [Fact]
    public void RefusesAnotherModelWithoutChangingAnything()
    {
        using var gan = Trainer(out _, out _, seed: 3);
        gan.Fit(_data, 1);
        string path = gan.SaveCheckpoint(_dir.File("seed.safetensors"));

        // Same trainer shape, different generator: its parameter tensors do not fit.
        using var d = new SeedDiscriminator(_backend, 2);
        using var other = new GanTrainer(new ReluOut(_backend), d, new GanOptions { BatchSize = Batch });
        var before = other.Generator.GetParameters();
        var e = Assert.Throws<CheckpointMismatchException>(() => other.LoadCheckpoint(path));
        Assert.Contains("seed.safetensors", e.Message);
        Assert.Contains("SeedGenerator", e.Message);
        Assert.Equal(before, other.Generator.GetParameters());
        Assert.Equal(0, other.StepCount);
    }

    [Fact]
    public void RefusesFilesThatAreNotGanCheckpoints()
    {
        string plain = _dir.File("plain.safetensors");
        SafetensorsFile.Write(plain, [new SafetensorsTensor("x", [2], [1f, 2f])]);
        using var gan = Trainer(out _, out _, seed: 3);
        var e = Assert.Throws<CheckpointMismatchException>(() => gan.LoadCheckpoint(plain));
        Assert.Contains("not a GanDsl checkpoint", e.Message);

        gan.Fit(_data, 1);
        string good = gan.SaveCheckpoint(_dir.File("good.safetensors"));
        var bytes = File.ReadAllBytes(good);
        string truncated = _dir.File("truncated.safetensors");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var t = Assert.Throws<CheckpointFormatException>(() => gan.LoadCheckpoint(truncated));
        Assert.Contains("truncated.safetensors", t.Message);

        string missing = _dir.File("nothing-here.safetensors");
        Assert.ThrowsAny<IOException>(() => gan.LoadCheckpoint(missing));
    }

    [Fact]
    public void NaNIsCaughtWithinOneStepAndTheLastCheckpointIsKept()
    {
        using var gan = Trainer(out var g, out _, seed: 4, checkpoints: "nan");
        gan.Fit(_data, 1);
        string last = gan.LastCheckpoint!;
        var good = File.ReadAllBytes(last);
        gan.StepCompleted += step =>
        {
            if (step == 13)
            {
                // Poison one generator weight: the next step's gradients are NaN.
                var p = g.GetParameters();
                p[5] = float.NaN;
                g.SetParameters(p);
            }
        };

        var e = Assert.Throws<TrainingDivergedException>(() => gan.Fit(_data, 3));
        Assert.Contains("step 14", e.Message);
        Assert.Contains("NaN or infinity", e.Message);
        Assert.Contains(last, e.Message);
        Assert.Equal(good, File.ReadAllBytes(last));
        Assert.Single(CheckpointFiles.List(_dir.File("nan")));
    }

    [Fact]
    public void WritesTrainingCurvesAsCsvAndPng()
    {
        string logs = _dir.File("logs");
        using var gan = new GanTrainer(new SeedGenerator(_backend, 1), new SeedDiscriminator(_backend, 2),
            new GanOptions { BatchSize = Batch, LogDirectory = logs, LogEvery = 4 });
        gan.Fit(_data, 2);
        var lines = File.ReadAllLines(Path.Combine(logs, "training.csv"));
        Assert.Equal(gan.Log!.Header, lines[0]);
        Assert.Equal("step,epoch,d_loss,g_loss,d_x,d_g_z,images_per_second", lines[0]);
        Assert.Equal(new[] { "4", "8", "10", "12", "16", "20" }, lines.Skip(1).Select(l => l.Split(',')[0]));
        var png = File.ReadAllBytes(Path.Combine(logs, "training.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 5000);
    }

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private GanTrainer Trainer(out SeedGenerator generator, out SeedDiscriminator discriminator, ulong seed, string? checkpoints = null, int keep = 3)
    {
        generator = new SeedGenerator(_backend, seed);
        discriminator = new SeedDiscriminator(_backend, seed + 1);
        return new GanTrainer(generator, discriminator, new GanOptions
        {
            BatchSize = Batch,
            Seed = seed,
            CheckpointDirectory = checkpoints is null ? null : _dir.File(checkpoints),
            KeepCheckpoints = keep,
        });
    }

    private float[] Host(GanDsl.Tensor t)
    {
        var values = new float[t.Length];
        _backend.Download(t, values);
        return values;
    }
}
