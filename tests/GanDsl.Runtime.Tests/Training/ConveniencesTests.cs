using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Imaging;
using GanDsl.Tests.Imaging;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>What a Keras or PyTorch user expects to see while training: the first lines, the progress bar, the curves, real images.</summary>
public sealed class ConveniencesTests
{
    [Fact]
    public void TheProgressBarShowsStepsPerSecondAndTheTimeLeftInTheEpochAndTheRun()
    {
        var stats = new StatisticValues([new Statistic("D loss", StatisticKind.Loss, 0, default)], [2.0], [2], 2);
        string line = ProgressBar.Format(3, 30, 312, 937, stats, 28311.4, 442.36, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(65));
        Assert.Equal("epoch 3/30 [#######.................] 312/937  D loss 1.000  28,311 img/s  442.4 steps/s  ETA 00:00:01 (run 00:01:05)", line);

        // The last epoch has no run time beyond the epoch's; a run of days says so.
        Assert.EndsWith("ETA 00:00:01", ProgressBar.Format(30, 30, 312, 937, stats, 1, 1, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(1.4)));
        Assert.Equal("2.03:00:00", ProgressBar.Duration(TimeSpan.FromHours(51)));
    }

    [Fact]
    public void ThePlotFoldsAnEpochsShortLastWindowIntoThePointBefore()
    {
        // Windows of 100 steps, then 37 at the end of epoch 1 (937 steps), then 100 again.
        var points = new List<LogPoint>();
        for (long step = 100; step <= 900; step += 100)
        {
            points.Add(new LogPoint(step, 1, [1.0, double.NaN], 1000));
        }

        points.Add(new LogPoint(937, 1, [3.0, 0.5], 2000));
        points.Add(new LogPoint(1037, 2, [1.0, 0.25], 1000));
        var drawn = LossPlot.MergeShortWindows(points);

        Assert.Equal(10, drawn.Count);
        var folded = drawn[8];
        Assert.Equal(937, folded.Step);
        Assert.Equal(1, folded.Epoch);
        Assert.Equal((1.0 * 100 + 3.0 * 37) / 137, folded.Values[0], 12);
        Assert.Equal(0.5, folded.Values[1]);                       // NaN (not recorded) takes the other window's value
        Assert.Equal((1000.0 * 100 + 2000 * 37) / 137, folded.ImagesPerSecond, 9);
        Assert.Equal(points[^1], drawn[^1]);
        Assert.Equal(points[..8], drawn[..8]);
    }

    [Fact]
    public void OneOutputDirectoryHoldsSamplesCurvesAndCheckpoints()
    {
        var options = new TrainerOptions { OutputDirectory = "run" };
        Assert.Equal("run", options.SampleDirectory);
        Assert.Equal("run", options.LogDirectory);
        Assert.Equal(Path.Combine("run", "checkpoints"), options.CheckpointDirectory);

        var own = options with { CheckpointDirectory = "elsewhere" };
        Assert.Equal("elsewhere", own.CheckpointDirectory);
        Assert.Equal("run", own.SampleDirectory);
        Assert.Null(new TrainerOptions().SampleDirectory);
        Assert.Same(Console.Out, new TrainerOptions().Log);
    }

    [Fact]
    public void FitFirstPrintsTheDeviceTheNetworksAndThePlanAndWritesRealImages()
    {
        using var dir = new TestData.TempDirectory();
        using var backend = new CpuBackend(1);
        using var generator = new SeedGenerator(backend, seed: 1);
        using var discriminator = new SeedDiscriminator(backend, seed: 2);
        var log = new StringWriter();
        var data = TestData.RandomImages(256, seed: 5);
        using var gan = new GanTrainer(generator, discriminator, new GanOptions
        {
            BatchSize = 64,
            OutputDirectory = dir.Path,
            Log = log,
            GeneratorOptimizer = new AdamSettings(1e-3, beta1: 0.6),
        });
        gan.Fit(data, epochs: 1);

        string text = log.ToString();
        string[] expected =
        [
            $"device: {backend.Description}", "Model: SeedGenerator", "Model: SeedDiscriminator", "SeedGenerator memory: parameters",
            "training to epoch 1: 256 images, batch 64 (4 steps an epoch), loss NonSaturating, critic steps 1, label smoothing 0; " +
            "Adam lr 0.001, betas 0.6/0.999 (generator.optimizer); Adam lr 0.0002, betas 0.5/0.999 (discriminator.optimizer); seed 0; " +
            $"output in {Path.GetFullPath(dir.Path)}",
        ];
        int at = 0;
        foreach (string part in expected)
        {
            int found = text.IndexOf(part, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{part}' is not in the output, in order:\n{text}");
            at = found;
        }

        Assert.Contains("epoch 1/1", text[at..]);

        // real.png: the first 64 training images, as the data holds them, in an 8x8 grid like the samples'.
        var real = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(dir.Path, "real.png")));
        var first = new float[64 * 784];
        for (int i = 0; i < 64; i++)
        {
            data.CopyImage(i, first.AsSpan(i * 784, 784));
        }

        var expectedGrid = ImageGrid.Render(first, 64, 28, 28, 8, padding: 2, scale: 2);
        Assert.Equal(expectedGrid.Width, real.Width);
        Assert.Equal(expectedGrid.Pixels, real.Pixels);
        Assert.True(File.Exists(Path.Combine(dir.Path, "training.png")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Path, "checkpoints")));

        // A second Fit continues; the first lines are not printed again.
        int before = log.ToString().Length;
        gan.Fit(data, epochs: 2);
        string second = log.ToString()[before..];
        Assert.DoesNotContain("device:", second);
        Assert.Contains("epoch 2/2", second);
    }
}
