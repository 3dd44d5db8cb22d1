using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/GanDsl.Bench -- --filter '*'
// (--job short for a quick look; --quick for a plain Stopwatch loop; see README.md for the numbers).
if (args.Contains("--profile"))
{
    GanDsl.Bench.StepProfile.Run(64);
    GanDsl.Bench.StepProfile.Run(256);
    return;
}

if (args.Contains("--quick"))
{
    GanDsl.Bench.QuickTiming.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GanDsl.Bench.TrainingStepBenchmarks).Assembly).Run(args);
