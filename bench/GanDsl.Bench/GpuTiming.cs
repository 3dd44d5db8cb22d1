using System.Diagnostics;
using System.Globalization;
using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Cuda;
using GanDsl.Data;

namespace GanDsl.Bench;

/// <summary>
/// <c>--csv</c>: the training step of the seed GAN (batch 64, 256, 1024) and the DCGAN (batch 256)
/// timed on the GPU, eager and graph-replayed (the seed GAN also as a graph on one stream, without side
/// branches: mode <c>onestream</c>), and the seed GAN on the CPU, printed as
/// <c>framework,model,mode,batch,us_per_step,images_per_s,device</c>: the columns bench/pytorch/gan_step.py
/// prints, so bench/pytorch/compare.py tabulates both. <c>--epoch</c> adds a full MNIST epoch (60,000
/// images, batch 64) through <see cref="GanTrainer.Fit"/>. <c>--steps N</c>, <c>--repeats R</c> and
/// <c>--epochs E</c> shorten a run (a smoke test: N steps per timing, N batches per epoch); <c>--no-cpu</c>
/// leaves out the CPU rows. Each figure is the median of repeated runs of
/// many steps, timed from the host around a final synchronisation (METHOD.md's protocol).
/// </summary>
internal static class GpuTiming
{
    public static void Run(string[] args)
    {
        bool epoch = args.Contains("--epoch");
        bool cpuRows = !args.Contains("--no-cpu");
        int? steps = Option(args, "--steps"), repeats = Option(args, "--repeats"), epochs = Option(args, "--epochs");
        Console.WriteLine("framework,model,mode,batch,us_per_step,images_per_s,device");
        var probe = CudaProbe.Run();
        if (!probe.Usable)
        {
            Console.Error.WriteLine($"# no GPU rows: {probe.Reason}");
        }
        else
        {
            Console.Error.WriteLine($"# {probe.Describe()}");
            foreach (int batch in new[] { 64, 256, 1024 })
            {
                // onestream: the graph without side branches (every node on one path), to show what they buy.
                foreach (var (mode, graph, branches) in new[] { ("eager", false, true), ("graph", true, true), ("onestream", true, false) })
                {
                    using var backend = CudaBackend.Create(branches: branches);
                    using var runner = Mlp(backend, batch, graph, images: 60_000);
                    Report("mlp", mode, batch, backend, runner, steps ?? 500, repeats ?? 7, probe.DeviceName!);
                }
            }

            foreach (bool graph in new[] { false, true })
            {
                using var backend = CudaBackend.Create();
                using var runner = Dcgan(backend, 256, graph, images: 4096);
                Report("dcgan", graph ? "graph" : "eager", 256, backend, runner, steps ?? 20, repeats ?? 5, probe.DeviceName!);
            }

            if (epoch)
            {
                foreach (bool graph in new[] { false, true })
                {
                    Epoch(graph, probe.DeviceName!, epochs ?? 3, Math.Min(60_000, 64 * (steps ?? 937)));
                }
            }
        }

        if (cpuRows)
        {
            foreach (int batch in new[] { 64, 256 })
            {
                var backend = new CpuBackend();
                using var runner = Mlp(backend, batch, graph: false, images: 10_000);
                Report("mlp", "cpu", batch, backend, runner, steps ?? 100, repeats ?? 7, $"CPU {backend.Threads} threads");
            }
        }
    }

    // --name N, a positive whole number, or null when absent.
    private static int? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at < 0 ? null
            : at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0 ? value
            : throw new ArgumentException($"{name} takes a positive whole number.");
    }

    public static StepRunner Mlp(Backend backend, int batch, bool graph, int images) =>
        new(backend, new BenchGenerator(backend, 1), new BenchDiscriminator(backend, 2),
            new GanOptions { BatchSize = batch, Seed = 3, CaptureSteps = graph }, images);

    public static StepRunner Dcgan(Backend backend, int batch, bool graph, int images)
    {
        var adam = new AdamSettings(1e-4, 0.9, 0.999, 1e-7);
        return new StepRunner(backend, new Dcgan.DcganGenerator(backend, 1), new Dcgan.DcganDiscriminator(backend, 2), new GanOptions
        {
            BatchSize = batch,
            Seed = 3,
            SampleCount = 16,
            GeneratorOptimizer = adam,
            DiscriminatorOptimizer = adam,
            CaptureSteps = graph,
        }, images);
    }

    private static void Report(string model, string mode, int batch, Backend backend, StepRunner runner, int steps, int repeats, string device)
    {
        var (samples, warmup) = Timing.Runs(runner.Step, backend, warmup: Math.Clamp(steps / 10, 2, 10), runs: repeats, calls: steps,
            onRun: (r, us) => Console.Error.WriteLine($"#   repeat {r + 1}: {us:F1} us/step"));
        Console.Error.WriteLine($"# {model} {mode} batch {batch}: warm-up {warmup.TotalSeconds:F2} s");
        if (runner.Trainer.StepGraphShape is { Nodes: > 0 } shape)
        {
            Console.Error.WriteLine($"# {model} {mode} batch {batch}: step graph of {shape.Nodes} nodes, longest chain {shape.LongestChain}");
        }
        var stats = runner.Trainer.ReadStats();
        if (!stats.IsFinite)
        {
            Console.Error.WriteLine($"# warning: {model} {mode} batch {batch} losses are not finite: {stats}");
        }

        double median = Timing.Median(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gandsl,{model},{mode},{batch},{median:F1},{batch / (median * 1e-6):F0},{device}"));
    }

    // A full epoch as the sample trains it: Fit over 60,000 images (random bytes: the cost does not
    // depend on them), batch 64, the shuffle, logging windows and the end-of-epoch read-back included.
    private static void Epoch(bool graph, string device, int timed, int images)
    {
        const int batch = 64;
        var pixels = new byte[images * 784];
        new Random(5).NextBytes(pixels);
        var data = MnistDataset.Create(pixels, new byte[images]);
        using var backend = CudaBackend.Create();
        using var g = new BenchGenerator(backend, 1);
        using var d = new BenchDiscriminator(backend, 2);
        using var trainer = new GanTrainer(g, d, new GanOptions { BatchSize = batch, Seed = 3, CaptureSteps = graph, ProgressBar = false });
        trainer.Fit(data, 1);
        var times = new List<double>();
        for (int e = 2; e <= timed + 1; e++)
        {
            var clock = Stopwatch.StartNew();
            trainer.Fit(data, e);
            times.Add(clock.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"# epoch ({(graph ? "graph" : "eager")}): {times[^1]:F3} s");
        }

        times.Sort();
        double seconds = times[times.Count / 2];
        int steps = data.Count / batch;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gandsl,mlp,{(graph ? "graph" : "eager")}-epoch,{batch},{seconds * 1e6 / steps:F1},{steps * batch / seconds:F0},{device}"));
    }
}
