using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/GanDsl.Bench -- --filter '*'
// (add --job short for a quick look; see README.md for the numbers and how they compare).
BenchmarkSwitcher.FromAssembly(typeof(GanDsl.Bench.TrainingStepBenchmarks).Assembly).Run(args);
