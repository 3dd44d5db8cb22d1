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

        string cache = ClassifierCache(dir.Path);
        var eval = SampleProcess.Run("Autoencoder", new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache },
            ["eval", "--device", "cpu", "--data", TestData.MnistDirectory, "--out", dir.Path, "--samples", "1000"]);
        Assert.True(eval.ExitCode == 0, eval.Output);
        Assert.Matches(@"reconstruction of 1,000 test images: per-pixel binary cross-entropy 0\.\d{4}", eval.Output);
        Assert.Contains("digit asked for = produced", eval.Output);
    }

    [Fact]
    public void TheAdversarialAutoencoderTrainsAndEvaluatesItsCodesAndItsDrawings()
    {
        using var dir = new TestData.TempDirectory();
        var train = SampleProcess.Run("Aae", null, ["--batch-size", "256", "--epochs", "1", "--device", "cpu", "--data", TestData.MnistDirectory, "--out", dir.Path, "--no-progress"]);
        Assert.True(train.ExitCode == 0, train.Output);
        Assert.Contains("loss 0.999 L1 + 0.001 adversarial, code 10 values, prior N(0, I)", train.Output);
        Assert.Matches(@"epoch 1/1  L1 0\.\d{4}  G adv \d\.\d{4}  D loss \d\.\d{4}  D\(prior\) 0\.\d{3}  D\(q\(z\|x\)\) 0\.\d{3}  [\d,]+ img/s", train.Output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "epoch_001.png")), train.Output);

        string cache = ClassifierCache(dir.Path);
        var eval = SampleProcess.Run("Aae", new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache },
            ["eval", "--device", "cpu", "--data", TestData.MnistDirectory, "--out", dir.Path, "--samples", "1000"]);
        Assert.True(eval.ExitCode == 0, eval.Output);
        Assert.Matches(@"codes of the 10,000 test images, per dimension: means within ±\d\.\d{3} of 0, standard deviations \d\.\d{3} to \d\.\d{3}", eval.Output);
        Assert.Contains("1,000 generated images", eval.Output);
        Assert.Contains("MNIST score", eval.Output);
    }

    // The samples whose data is derived from MNIST (CoGAN's unpaired halves and edges, Pix2Pix's masked pairs,
    // StackGAN's digits at two sizes, CycleGAN's 6s and 9s, DiscoGAN's digits and turned digits), on a small stand-in for MNIST: the domains are built and
    // drawn, training runs, and eval prints the sample's measure.
    [Theory]
    [InlineData("Cogan", "100 pairs: pixel agreement ", "real_2.png")]
    [InlineData("Pix2Pix", "100 test digits, masked: L1 ", "real_2.png")]
    [InlineData("StackGan", "100 digits asked for: stage II draws ", "real_2.png")]
    [InlineData("CycleGan", "10 test 6s: ", "real_2.png")]
    [InlineData("DiscoGan", "100 test digits: G_AB's translation turned back reads as the source digit ", "real_2.png")]
    public void TheImageToImageSamplesTrainOnTheirDerivedDomainsAndPrintTheirMeasure(string sample, string measure, string secondDomain)
    {
        using var dir = new TestData.TempDirectory();
        string mnist = Data.IdxBytes.WriteMnist(Path.Combine(dir.Path, "mnist"), 512, 100);
        string output = Path.Combine(dir.Path, "out");
        var train = SampleProcess.Run(sample, null, ["--epochs", "1", "--device", "cpu", "--data", mnist, "--out", output, "--no-progress"]);
        Assert.True(train.ExitCode == 0, train.Output);
        Assert.True(File.Exists(Path.Combine(output, secondDomain)), train.Output);
        Assert.True(File.Exists(Path.Combine(output, "epoch_001.png")), train.Output);

        string cache = ClassifierCache(dir.Path);
        var eval = SampleProcess.Run(sample, new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache },
            ["eval", "--device", "cpu", "--data", mnist, "--out", output, "--samples", "100"]);
        Assert.True(eval.ExitCode == 0, eval.Output);
        Assert.Contains(measure, eval.Output);
    }

    [Theory]
    [InlineData("Autoencoder", "--critic-steps", "5")]
    [InlineData("Autoencoder", "--export", "10", "images")]
    [InlineData("Began", "--label-smoothing", "0.1")]
    [InlineData("Began", "--gamma", "5")]
    [InlineData("Began", "--ema", "0.999")]
    [InlineData("Aae", "--decay-from", "1", "--epochs", "3")]
    [InlineData("Pix2Pix", "--d-lr", "0.0004")]
    [InlineData("Began", "--lambda-k")]
    [InlineData("Acgan", "--critic-steps", "2")]
    [InlineData("InfoGan", "--g-lr", "5")]
    [InlineData("InfoGan", "--loss", "hinge")]
    [InlineData("Aae", "--label-smoothing", "0.1")]
    [InlineData("Pix2Pix", "--mask", "10.5")]
    [InlineData("Pix2Pix", "--mask", "0")]
    [InlineData("StackGan", "--kl-weight", "-1")]
    [InlineData("StackGan", "--loss", "hinge")]
    [InlineData("CycleGan", "--pool", "2.5")]
    [InlineData("CycleGan", "--identity-weight", "-1")]
    [InlineData("DiscoGan", "--curriculum", "-1")]
    [InlineData("DiscoGan", "--curriculum", "2.5")]
    [InlineData("DiscoGan", "--loss", "hinge")]
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

    // A cache folder under folder holding the reference classifier the fixture trained, for a sample's eval (XDG_CACHE_HOME).
    private string ClassifierCache(string folder)
    {
        string cache = Path.Combine(folder, "cache");
        Directory.CreateDirectory(Path.Combine(cache, "gandsl", "classifier"));
        File.Copy(Path.Combine(evaluator.CacheDirectory, ReferenceClassifier.Version + ".safetensors"),
            Path.Combine(cache, "gandsl", "classifier", ReferenceClassifier.Version + ".safetensors"));
        return cache;
    }
}
