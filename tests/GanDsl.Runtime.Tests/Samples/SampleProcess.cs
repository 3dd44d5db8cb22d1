using System.Diagnostics;

namespace GanDsl.Tests.Samples;

/// <summary>Runs a built sample as a process, the way README.md runs it (through the same host as the tests).</summary>
internal static class SampleProcess
{
    public static (int ExitCode, string Output) Run(string sample, Dictionary<string, string>? environment, params string[] args)
    {
        var (process, errors) = Start(sample, environment, args);
        using (process)
        {
            string stdout = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "the sample did not finish in 3 minutes");
            return (process.ExitCode, stdout + errors.Result);
        }
    }

    public static (Process Process, Task<string> Errors) Start(string sample, Dictionary<string, string>? environment, string[] args)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", sample, "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", sample + ".dll");
        Assert.True(File.Exists(path), $"The sample was not built at {path}.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(path);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        return (process, process.StandardError.ReadToEndAsync());
    }
}
