using GanDsl.Checkpoints;
using static GanDsl.Tests.Data.IdxBytes;

namespace GanDsl.Tests.Samples;

/// <summary>
/// The samples given what a user may get wrong: every failure is one <c>error: ...</c> line that says what and what to do,
/// exit code 2 for an option and 1 for anything else, never a stack trace, and checked before data is loaded or memory allocated.
/// </summary>
public sealed class BadInputSampleTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public BadInputSampleTests()
    {
        // A small stand-in for MNIST (512 training images), so a run that gets as far as training takes a second.
        WriteMnist(_dir.File("mnist"), 512, 100);
        File.WriteAllText(_dir.File("a-file"), "not a folder");
    }

    public void Dispose() => _dir.Dispose();

    // {data}, {dir} and {file} stand for the small MNIST, a fresh folder and an existing file.
    [Theory]
    [InlineData(2, "--device takes auto, cpu or cuda, not 'tpu'", "--device", "tpu")]
    [InlineData(2, "--threads takes at most 256 threads", "--threads", "1000")]
    [InlineData(2, "--batch-size takes at most 1,048,576 images", "--batch-size", "2000000000")]
    [InlineData(2, "--batch-size 1,000 is more than the 512 training images; use at most 512", "--batch-size", "1000")]
    [InlineData(2, "--export takes at most 100,000 images", "--export", "100000000", "{dir}/out-idx3-ubyte")]
    [InlineData(2, "--export {dir} is a folder", "--export", "10", "{dir}")]
    [InlineData(2, "--export: cannot write to", "--export", "10", "{file}/sub/out-idx3-ubyte")]
    [InlineData(2, "--out {file} is a file", "--out", "{file}")]
    [InlineData(2, "--data {file} is a file", "--data", "{file}")]
    [InlineData(2, "--seed takes a whole number", "--seed", "18446744073709551616")]
    [InlineData(2, "--beta1 takes a number in [0, 1) such as 0.5, not '1'", "--beta1", "1")]
    [InlineData(2, "--beta2 takes a number in [0, 1) such as 0.5, not 'x'", "--beta2", "x")]
    [InlineData(2, "--ema takes a decay in [0, 1) such as 0.999 (0: no average)", "--ema", "1")]
    [InlineData(2, "--d-lr takes a positive number such as 0.0004", "--d-lr", "0")]
    [InlineData(2, "--decay-from 2 starts the learning rates' decay after the last epoch (2); give an epoch below --epochs", "--decay-from", "2", "--epochs", "2")]
    [InlineData(2, "--decay-from takes a whole number of 0 or more, not '-1'", "--decay-from", "-1")]
    [InlineData(2, "--resume: ", "--resume", "{dir}/missing.safetensors")]
    [InlineData(2, "--resume: No checkpoint to resume from", "--resume", "latest")]
    [InlineData(2, "--samples takes at most 100,000 images", "eval", "--samples", "200000")]
    [InlineData(2, "No checkpoint to evaluate in", "eval")]
    [InlineData(2, "Train first, or name a checkpoint with --checkpoint PATH", "eval")]
    public void EachBadOptionIsOneErrorLineAndExitCodeTwo(int exitCode, string message, params string[] args)
    {
        var run = Run(args);
        AssertOneError(run, exitCode, Expand(message));
    }

    [Fact]
    public void AdamsBetasAreRefusedWhereTheSampleTrainsWithRmsprop()
    {
        var run = SampleProcess.Run("Wgan", null, "--beta1", "0.5");
        AssertOneError(run, 2, "--beta1 and --beta2 set Adam's betas, and this sample trains with rmsprop");
    }

    [Fact]
    public void TheDiscriminatorsRateAndTheDecayReachTheRun()
    {
        // MnistGan's Adam at 2e-4 for G; D at --d-lr; both falling after epoch 1 of 2.
        var run = Run("--epochs", "2", "--d-lr", "0.0004", "--decay-from", "1");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("learning rate linear decay from epoch 1 to zero after epoch 2", run.Output);
        Assert.Contains("Adam lr 0.0002, betas 0.5/0.999 (generator.optimizer); Adam lr 0.0004, betas 0.5/0.999 (discriminator.optimizer)", run.Output);
    }

    [Fact]
    public void MnistOfAnotherSizeIsExitCodeOneNamingTheFile()
    {
        string small = WriteMnist(_dir.File("small"), 10, 10, rows: 8, cols: 8);
        var run = Run("--data", small);
        AssertOneError(run, 1, "the images are 8x8, but MNIST's are 28x28");
        Assert.Contains("train-images-idx3-ubyte", run.Output);
    }

    [Fact]
    public void ACheckpointWithAnInfiniteWeightIsNotResumed()
    {
        var first = Run("--epochs", "1");
        Assert.True(first.ExitCode == 0, first.Output);
        string path = Assert.Single(CheckpointFiles.List(_dir.File("out/checkpoints")));
        var file = SafetensorsFile.Read(path);
        var tensors = file.Tensors.Select(t =>
        {
            if (t.Name != "generator.W1")
            {
                return t;
            }

            var values = t.AsFloat32();
            values[7] = float.PositiveInfinity;
            return new SafetensorsTensor(t.Name, t.Shape.ToArray(), values);
        }).ToList();
        SafetensorsFile.Write(path, tensors, file.Metadata);

        var resumed = Run("--epochs", "2", "--resume", "latest");
        AssertOneError(resumed, 1, "tensor generator.W1 holds Infinity at index 7");
        var evaluated = Run("eval");
        AssertOneError(evaluated, 1, "tensor generator.W1 holds Infinity at index 7");
    }

    [Fact]
    public void EvalFollowsTheCheckpointsAverageUnlessEmaIsGiven()
    {
        var trained = Run("--epochs", "1", "--ema", "0.9");
        Assert.True(trained.ExitCode == 0, trained.Output);

        // MnistGan keeps no average by default; the checkpoint has one, so eval draws with it.
        var evaluated = Run("eval", "--samples", "500");
        Assert.True(evaluated.ExitCode == 0, evaluated.Output);
        Assert.Contains("the checkpoint keeps the generator's average", evaluated.Output);
        Assert.Contains("MNIST score", evaluated.Output);

        // Given, --ema is the user's word: without an average this run lacks the checkpoint's part, and says so.
        var refused = Run("eval", "--ema", "0");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("generator.average", refused.Output);
        Assert.DoesNotContain("the checkpoint keeps", refused.Output);
    }

    [Fact]
    public void ALearningRateFarTooHighStopsWithExitCodeOne()
    {
        var run = Run("--epochs", "30", "--lr", "1e8");
        AssertOneError(run, 1, "Training diverged");
        Assert.Contains("learning rate", run.Output);
        foreach (var path in CheckpointFiles.List(_dir.File("out/checkpoints")))
        {
            Assert.All(SafetensorsFile.Read(path).Tensors, t => Assert.All(t.AsFloat32(), v => Assert.True(float.IsFinite(v), $"{t.Name} in {path}")));
        }
    }

    private string Expand(string text) =>
        text.Replace("{data}", _dir.File("mnist"), StringComparison.Ordinal)
            .Replace("{dir}", _dir.Path, StringComparison.Ordinal)
            .Replace("{file}", _dir.File("a-file"), StringComparison.Ordinal);

    private (int ExitCode, string Output) Run(params string[] args)
    {
        // Defaults first; a test's own options come after and win (the parser takes the last value).
        var all = new List<string>();
        int at = args.Length > 0 && args[0] == "eval" ? 1 : 0;
        all.AddRange(args.Take(at));
        all.AddRange(["--device", "cpu", "--data", _dir.File("mnist"), "--out", _dir.File("out"), "--no-progress", "--batch-size", "256"]);
        all.AddRange(args.Skip(at).Select(Expand));
        return SampleProcess.Run("MnistGan", null, [.. all]);
    }

    private static void AssertOneError((int ExitCode, string Output) run, int exitCode, string message)
    {
        Assert.True(run.ExitCode == exitCode, $"exit code {run.ExitCode}, expected {exitCode}:\n{run.Output}");
        Assert.Contains(message, run.Output);
        Assert.Single(run.Output.Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", run.Output);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", run.Output);
    }
}
