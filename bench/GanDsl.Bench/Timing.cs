using System.Diagnostics;
using GanDsl.Backends;

namespace GanDsl.Bench;

/// <summary>
/// The plain-Stopwatch timing the non-BenchmarkDotNet modes share: warm up, then time repeated runs of
/// many calls, waiting for the device at the end of each run, and report per call.
/// </summary>
internal static class Timing
{
    /// <summary>Microseconds per call of each run, sorted (the median is the middle one), and how long the warm-up took.</summary>
    /// <param name="body">One call.</param>
    /// <param name="backend">Waited for after the warm-up and after each run; null when the calls finish their work.</param>
    /// <param name="warmup">Calls before timing.</param>
    /// <param name="runs">Timed runs.</param>
    /// <param name="calls">Calls per run.</param>
    /// <param name="onRun">Told each run's figure as it comes, unsorted.</param>
    public static (double[] Sorted, TimeSpan Warmup) Runs(Action body, Backend? backend, int warmup, int runs, int calls, Action<int, double>? onRun = null)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmup; i++)
        {
            body();
        }

        backend?.Synchronize();
        var warmupTime = warm.Elapsed;
        var samples = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
            {
                body();
            }

            backend?.Synchronize();
            samples[r] = clock.Elapsed.TotalMicroseconds / calls;
            onRun?.Invoke(r, samples[r]);
        }

        Array.Sort(samples);
        return (samples, warmupTime);
    }

    /// <summary>The middle of sorted samples.</summary>
    public static double Median(double[] sorted) => sorted[sorted.Length / 2];
}
