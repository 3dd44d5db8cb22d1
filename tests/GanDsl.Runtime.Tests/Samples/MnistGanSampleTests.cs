using System.Diagnostics;

namespace GanDsl.Tests.Samples;

/// <summary>The MnistGan sample run as a process, the way README.md runs it.</summary>
public sealed class MnistGanSampleTests
{
    [Fact]
    public void TrainsOneEpochAndWritesSampleGrids()
    {
        using var dir = new TestData.TempDirectory();
        var run = Run("--epochs", "1", "--batch-size", "256", "--device", "cpu", "--data", TestData.MnistDirectory, "--out", dir.Path, "--no-progress");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("device: CPU", run.Output);
        Assert.Contains("Total params: 227,344", run.Output);
        Assert.Matches(@"epoch 1/1  D loss \d+\.\d{4}  G loss \d+\.\d{4}  D\(x\) 0\.\d{3}  D\(G\(z\)\) 0\.\d{3}  [\d,]+ img/s", run.Output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "epoch_001.png")), run.Output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "final.png")), run.Output);
    }

    [Theory]
    [InlineData("--epochs", "0")]
    [InlineData("--batch-size", "many")]
    [InlineData("--frobnicate")]
    [InlineData("--data")]
    public void BadOptionsExplainThemselves(params string[] args)
    {
        var run = Run(args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: ", run.Output);
        Assert.Contains("Usage:", run.Output);
    }

    [Fact]
    public void CudaRequestSaysWhyItCannotBeHonoured()
    {
        var run = Run("--device", "cuda", "--data", TestData.MnistDirectory);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("CUDA", run.Output);
    }

    [Fact]
    public void CorruptDataNamesTheFile()
    {
        using var dir = new TestData.TempDirectory();
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            File.WriteAllBytes(dir.File(name), new byte[] { 0, 0, 8, 3, 0, 0 });
        }

        var run = Run("--device", "cpu", "--data", dir.Path, "--epochs", "1");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: ", run.Output);
        Assert.Contains("-idx", run.Output);
    }

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "MnistGan", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "MnistGan.dll");
        Assert.True(File.Exists(sample), $"The sample was not built at {sample}.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(sample);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "the sample did not finish in 3 minutes");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
