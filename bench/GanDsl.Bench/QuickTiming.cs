using System.Diagnostics;

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
                for (int i = 0; i < 200; i++)
                {
                    bench.Step();
                }

                var samples = new List<double>();
                for (int r = 0; r < 15; r++)
                {
                    var clock = Stopwatch.StartNew();
                    const int steps = 100;
                    for (int i = 0; i < steps; i++)
                    {
                        bench.Step();
                    }

                    samples.Add(clock.Elapsed.TotalMilliseconds / steps);
                }

                samples.Sort();
                Console.WriteLine($"batch {batch,4}  fused {fused,-5}  median {samples[samples.Count / 2]:F3} ms/step  (min {samples[0]:F3}, max {samples[^1]:F3})");
                bench.Cleanup();
            }
        }
    }
}
