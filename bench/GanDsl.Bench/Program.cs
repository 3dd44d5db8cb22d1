using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/GanDsl.Bench -- --filter '*'
// (--job short for a quick look; --quick for a plain Stopwatch loop; --profile-dcgan [batch] for the DCGAN's
// convolutions pass by pass; --csv [--epoch] for the GPU table
// beside bench/pytorch, see BENCHMARKS.md; README.md has the CPU numbers).
if (Array.IndexOf(args, "--profile-dcgan") is int at and >= 0)
{
    int batch = at + 1 < args.Length && int.TryParse(args[at + 1], out int b) ? b : 256;
    GanDsl.Bench.ConvProfile.Run(batch);
    GanDsl.Bench.StepProfile.RunDcgan(batch);
    return;
}

if (args.Contains("--profile"))
{
    GanDsl.Bench.StepProfile.Run(64);
    GanDsl.Bench.StepProfile.Run(256);
    if (GanDsl.Cuda.CudaProbe.Run().Usable)
    {
        foreach (int batch in new[] { 64, 256, 1024 })
        {
            GanDsl.Bench.StepProfile.Run(batch, GanDsl.Cuda.CudaBackend.Create());
        }
    }

    return;
}

if (args.Contains("--quick"))
{
    GanDsl.Bench.QuickTiming.Run();
    return;
}

if (args.Contains("--csv"))
{
    GanDsl.Bench.GpuTiming.Run(args);
    return;
}

// The GPU benchmarks need a usable NVIDIA GPU: without one they are left out, and the reason printed.
var types = typeof(GanDsl.Bench.TrainingStepBenchmarks).Assembly.GetTypes()
    .Where(t => t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
    .ToList();
var probe = GanDsl.Cuda.CudaProbe.Run();
if (!probe.Usable)
{
    Console.WriteLine($"GPU benchmarks left out: {probe.Reason}");
    types.RemoveAll(t => t.Name.StartsWith("Gpu", StringComparison.Ordinal));
}

BenchmarkSwitcher.FromTypes([.. types]).Run(args);
