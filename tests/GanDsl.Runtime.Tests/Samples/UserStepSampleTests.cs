using GanDsl.Evaluation;
using GanDsl.Tests.Evaluation;

namespace GanDsl.Tests.Samples;

/// <summary>The samples of user-written steps run as processes: the same options, resume, eval and errors as every sample.</summary>
public sealed class UserStepSampleTests(EvaluatorFixture evaluator) : IClassFixture<EvaluatorFixture>
{
    [Fact]
    public void TheAutoencoderTrainsResumesAndEvaluates()
    {
        using var dir = new TestData.TempDirectory();
        var common = new[] { "--batch-size", "256", "--device", "cpu", "--data", TestData.MnistDirectory, "--out", dir.Path, "--no-progress" };
        var first = SampleProcess.Run("Autoencoder", null, [.. common, "--epochs", "1"]);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("Total params: 50,992", first.Output);
        Assert.Matches(@"epoch 1/1  BCE 0\.\d{4}  [\d,]+ img/s", first.Output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "epoch_001.png")), first.Output);
        Assert.Equal("step,epoch,bce,images_per_second", File.ReadLines(Path.Combine(dir.Path, "training.csv")).First());

        var resumed = SampleProcess.Run("Autoencoder", null, [.. common, "--epochs", "2", "--resume", "latest"]);
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("resumed from", resumed.Output);
        Assert.Contains("epoch 2/2", resumed.Output);
        Assert.DoesNotContain("epoch 1/2", resumed.Output);

        string cache = Path.Combine(dir.Path, "cache");
        Directory.CreateDirectory(Path.Combine(cache, "gandsl", "classifier"));
        File.Copy(Path.Combine(evaluator.CacheDirectory, ReferenceClassifier.Version + ".safetensors"),
            Path.Combine(cache, "gandsl", "classifier", ReferenceClassifier.Version + ".safetensors"));
        var eval = SampleProcess.Run("Autoencoder", new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache },
            ["eval", "--device", "cpu", "--data", TestData.MnistDirectory, "--out", dir.Path, "--samples", "1000"]);
        Assert.True(eval.ExitCode == 0, eval.Output);
        Assert.Matches(@"reconstruction of 1,000 test images: per-pixel binary cross-entropy 0\.\d{4}", eval.Output);
        Assert.Contains("digit asked for = produced", eval.Output);
    }

    [Theory]
    [InlineData("Autoencoder", "--critic-steps", "5")]
    [InlineData("Autoencoder", "--export", "10", "images")]
    [InlineData("Began", "--label-smoothing", "0.1")]
    [InlineData("Began", "--gamma", "5")]
    [InlineData("Began", "--lambda-k")]
    [InlineData("Acgan", "--critic-steps", "2")]
    [InlineData("InfoGan", "--g-lr", "5")]
    [InlineData("InfoGan", "--loss", "hinge")]
    public void ForeignOrBadOptionsAreRefused(string sample, params string[] args)
    {
        var run = SampleProcess.Run(sample, null, args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: ", run.Output);
        Assert.Contains("Usage:", run.Output);
    }

    [Fact]
    public void BeganListsTheCommonOptionsAndItsOwn()
    {
        var run = SampleProcess.Run("Began", null, "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--resume PATH|latest", run.Output);
        Assert.Contains("--export N PATH", run.Output);
        Assert.Contains("--gamma X", run.Output);
        Assert.DoesNotContain("--critic-steps", run.Output);
    }
}
