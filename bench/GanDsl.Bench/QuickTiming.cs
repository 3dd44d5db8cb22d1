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

        // The user-written steps of the samples, at their samples' batch sizes: images per second.
        foreach (var (name, batch, make) in new (string, int, Func<Backend, int, TrainingStep>)[]
        {
            ("BEGAN", 64, (backend, b) => new global::Began.BeganStep(new global::Began.BeganGenerator(backend, 1), new global::Began.BeganDiscriminator(backend, 2), new AdamSettings(2e-4), b)),
            ("autoencoder", 256, (backend, b) => new global::Autoencoder.AutoencoderStep(new global::Autoencoder.MnistAutoencoder(backend, 1), new AdamSettings(1e-3), b)),
        })
        {
            using var runner = new UserStepRunner(make, batch);
            var (samples, _) = Timing.Runs(runner.Step, null, warmup: 20, runs: 7, calls: name == "BEGAN" ? 10 : 100);
            double median = Timing.Median(samples);
            Console.WriteLine($"{name,-11} batch {batch,4}  median {median / 1000:F3} ms/step, {batch / (median / 1e6):N0} images/s  (min {samples[0] / 1000:F3}, max {samples[^1] / 1000:F3})");
        }
    }
}
