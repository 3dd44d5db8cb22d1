using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// Training on the GPU: the step replayed from a captured CUDA graph equals the step run call by call,
/// 200 steps stay finite and follow the CPU's losses, and <see cref="GanTrainer.Fit"/> trains, samples
/// and checkpoints there. Skipped, with the reason, where there is no GPU.
/// </summary>
public sealed class CudaTrainingTests : IDisposable
{
    private const int Batch = 64;
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(GanLoss.NonSaturating, 1)]
    [InlineData(GanLoss.Wasserstein, 5)]
    public void GraphReplayEqualsStepsRunDirectly(GanLoss loss, int criticSteps)
    {
        using var gpu = Gpu.Require();
        var data = TestData.RandomImages(16 * Batch, seed: 1);
        float[][] Train(bool capture)
        {
            var options = Options(loss, criticSteps) with { CaptureSteps = capture };
            using var g = new SeedGenerator(gpu, 1);
            using var d = new SeedDiscriminator(gpu, 2);
            using var trainer = new GanTrainer(g, d, options);
            var images = trainer.Upload(data);
            for (int i = 0; i < 25; i++)
            {
                trainer.Step(images, i % 16 * Batch);
            }

            Assert.Equal(capture, trainer.CapturingSteps);
            Assert.Equal(capture, trainer.ReplayingGraphs);
            Assert.Equal(25, trainer.StepCount);
            return [g.GetParameters(), d.GetParameters(), trainer.ReadStats() is var s ? [(float)s.DiscriminatorLoss, (float)s.GeneratorLoss] : []];
        }

        var direct = Train(capture: false);
        var replayed = Train(capture: true);
        Gpu.Close(direct[0], replayed[0], 1e-6, "generator after 25 steps");
        Gpu.Close(direct[1], replayed[1], 1e-6, "discriminator after 25 steps");
        Gpu.Close(direct[2], replayed[2], 1e-6, "losses");
    }

    [Fact]
    public void TwoHundredStepsStayFiniteAndFollowTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var data = TestData.RandomImages(50 * Batch, seed: 1);
        var onCpu = Losses(cpu, data);
        var onGpu = Losses(gpu, data);
        for (int i = 0; i < onCpu.Count; i++)
        {
            Assert.True(onGpu[i].IsFinite, $"GPU losses at window {i}: {onGpu[i]}");
            Assert.True(Math.Abs(onGpu[i].DiscriminatorLoss - onCpu[i].DiscriminatorLoss) < 0.05 + 0.05 * i,
                $"window {i}: D loss {onGpu[i].DiscriminatorLoss:F4} on the GPU, {onCpu[i].DiscriminatorLoss:F4} on the CPU");
            Assert.True(Math.Abs(onGpu[i].GeneratorLoss - onCpu[i].GeneratorLoss) < 0.05 + 0.05 * i,
                $"window {i}: G loss {onGpu[i].GeneratorLoss:F4} on the GPU, {onCpu[i].GeneratorLoss:F4} on the CPU");
        }

        // The first window starts from the same parameters and draws the same numbers: nearly equal.
        Assert.True(Math.Abs(onGpu[0].DiscriminatorLoss - onCpu[0].DiscriminatorLoss) < 1e-3, $"first window: {onGpu[0]} against {onCpu[0]}");
    }

    [Fact]
    public void FitTrainsSamplesAndCheckpointsOnTheGpu()
    {
        using var gpu = Gpu.Require();
        var data = TestData.RandomImages(10 * Batch + 5, seed: 1);
        var log = new StringWriter();
        var options = Options(GanLoss.NonSaturating, 1) with
        {
            SampleDirectory = _dir.Path,
            CheckpointDirectory = _dir.Path,
            LogEvery = 4,
            Log = log,
            ProgressBar = false,
        };
        using (var g = new SeedGenerator(gpu, 1))
        using (var d = new SeedDiscriminator(gpu, 2))
        using (var trainer = new GanTrainer(g, d, options))
        {
            var results = trainer.Fit(data, 2);
            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.True(r.Stats.IsFinite, r.Stats.ToString()));
            Assert.True(File.Exists(results[^1].SamplePath));
            Assert.NotNull(trainer.LastCheckpoint);
        }

        // The GPU's checkpoint resumes on the CPU.
        using var cpu = Gpu.Cpu();
        using var g2 = new SeedGenerator(cpu, 7);
        using var d2 = new SeedDiscriminator(cpu, 8);
        using var resumed = new GanTrainer(g2, d2, Options(GanLoss.NonSaturating, 1));
        resumed.LoadCheckpoint(Directory.GetFiles(_dir.Path, "*.safetensors").Max()!);
        Assert.Equal(20, resumed.StepCount);
        Assert.Equal(20, resumed.GeneratorOptimizer.StepCount);
    }

    [Fact]
    public void AResumedRunContinuesTheReplayedStepsExactly()
    {
        // Stopped in the middle of epoch 2 and resumed in a fresh trainer: the counters the graphs read
        // (step, position, each optimizer's step) are set from the checkpoint, so the replays go on as if
        // nothing had stopped. WGAN with 3 critic steps, so the D-only and D+G graphs both matter.
        using var gpu = Gpu.Require();
        var data = TestData.RandomImages(6 * Batch + 3, seed: 1);
        var options = Options(GanLoss.Wasserstein, 3) with { CheckpointDirectory = _dir.File("resumed") };
        float[][] straight;
        using (var g = new SeedGenerator(gpu, 1))
        using (var d = new SeedDiscriminator(gpu, 2))
        using (var trainer = new GanTrainer(g, d, Options(GanLoss.Wasserstein, 3)))
        {
            trainer.Fit(data, 3);
            Assert.True(trainer.ReplayingGraphs);
            straight = [g.GetParameters(), d.GetParameters()];
        }

        using (var g = new SeedGenerator(gpu, 1))
        using (var d = new SeedDiscriminator(gpu, 2))
        using (var trainer = new GanTrainer(g, d, options))
        {
            using var stop = new CancellationTokenSource();
            trainer.StepCompleted += step =>
            {
                if (step == 8)
                {
                    stop.Cancel();
                }
            };
            trainer.Fit(data, 3, stop.Token);
            Assert.Equal((1, 2), (trainer.EpochCount, trainer.EpochPosition));
        }

        using (var g = new SeedGenerator(gpu, 11))
        using (var d = new SeedDiscriminator(gpu, 12))
        using (var trainer = new GanTrainer(g, d, options))
        {
            trainer.LoadCheckpoint(Directory.GetFiles(_dir.File("resumed"), "*.safetensors").Max()!);
            trainer.Fit(data, 3);
            Assert.Equal(18, trainer.StepCount);
            Assert.Equal(6, trainer.GeneratorOptimizer.StepCount);
            Gpu.Close(straight[0], g.GetParameters(), 1e-6, "generator, resumed against straight");
            Gpu.Close(straight[1], d.GetParameters(), 1e-6, "critic, resumed against straight");
        }
    }

    private static List<TrainingStats> Losses(Backend backend, MnistDataset data)
    {
        using var g = new SeedGenerator(backend, 1);
        using var d = new SeedDiscriminator(backend, 2);
        using var trainer = new GanTrainer(g, d, Options(GanLoss.NonSaturating, 1));
        var images = trainer.Upload(data);
        var windows = new List<TrainingStats>();
        for (int i = 0; i < 200; i++)
        {
            trainer.Step(images, i % 50 * Batch);
            if ((i + 1) % 50 == 0)
            {
                windows.Add(trainer.ReadStats());
            }
        }

        return windows;
    }

    private static GanOptions Options(GanLoss loss, int criticSteps) => new()
    {
        BatchSize = Batch,
        Loss = loss,
        CriticSteps = criticSteps,
        DiscriminatorOptimizer = loss == GanLoss.Wasserstein ? new RmsPropSettings() : new AdamSettings(),
        GeneratorOptimizer = loss == GanLoss.Wasserstein ? new RmsPropSettings() : new AdamSettings(),
        Seed = 5,
        ProgressBar = false,
    };
}
