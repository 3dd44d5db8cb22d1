namespace GanDsl.Bench;

/// <summary>
/// <c>--quick</c>: times the training step with a plain Stopwatch loop (median of repeated runs), for a
/// fast look without BenchmarkDotNet's full protocol.
/// </summary>
internal static class QuickTiming
{
    public static void Run()
    {
        foreach (int batch in new[] { 64, 256 })
        {
            foreach (bool fused in new[] { true, false })
            {
                var bench = new TrainingStepBenchmarks { BatchSize = batch, Fused = fused };
                bench.Setup();
                var (samples, _) = Timing.Runs(bench.Step, null, warmup: 200, runs: 15, calls: 100);
                Console.WriteLine($"batch {batch,4}  fused {fused,-5}  median {Timing.Median(samples) / 1000:F3} ms/step  (min {samples[0] / 1000:F3}, max {samples[^1] / 1000:F3})");
                bench.Cleanup();
            }
        }
    }
}
