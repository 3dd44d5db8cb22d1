using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Randomness;

namespace GanDsl.Bench;

/// <summary>
/// <c>--profile</c>: where a training step's time goes, by timing each of its parts on its own in
/// a loop (the parts of one step, in the order the trainer runs them). On a GPU each part is timed
/// launched call by call and replayed as a captured graph (with its node count and longest chain), waiting for the
/// device at the end of each timed loop, so the figures are device time in a steady stream.
/// </summary>
internal static class StepProfile
{
    public static void Run(int batch) => Run(batch, new CpuBackend());

    public static void Run(int batch, Backend backend) =>
        Run(batch, backend, new BenchGenerator(backend, 1), new BenchDiscriminator(backend, 2), calls: 100);

    /// <summary>samples/Dcgan's step on the CPU, each part timed over fewer calls (a step takes most of a second).</summary>
    public static void RunDcgan(int batch)
    {
        var backend = new CpuBackend();
        Run(batch, backend, new Dcgan.DcganGenerator(backend, 1), new Dcgan.DcganDiscriminator(backend, 2), calls: 1);
    }

    private static void Run(int batch, Backend backend, Network generator, Network discriminator, int calls)
    {
        using var owned = backend;
        using var g = generator;
        using var d = discriminator;
        g.EnsureCapacity(batch);
        d.EnsureCapacity(2 * batch);
        using var adamG = new AdamOptimizer(g, new AdamSettings());
        using var adamD = new AdamOptimizer(d, new AdamSettings());
        using var stats = backend.Allocate(4);
        var pixels = new byte[4 * batch * 784];
        new System.Random(1).NextBytes(pixels);
        using var images = backend.CreateImageSet(pixels, 4 * batch, 784);
        backend.RandomNormal(g.Input(batch), 1, 0, 0);
        backend.RandomNormal(d.Input(2 * batch), 1, 0, 0);
        backend.Fill(d.OutputGradient(2 * batch), 0.01f);
        backend.Fill(g.OutputGradient(batch), 0.01f);

        // As the trainer runs it: the generator writes its fakes straight into the discriminator's input rows.
        g.RedirectOutput(d.Input(2 * batch).Slice(0, batch));

        var parts = new (string Name, Action Body)[]
        {
            ("noise (Philox normal)", () => backend.RandomNormal(g.Input(batch), 1, 0, 7)),
            ("G forward (B)", () => g.Forward(batch)),
            ("gather real", () => backend.GatherImages(images, 0, d.Input(2 * batch).Slice(batch, batch))),
            ("D forward (2B)", () => d.Forward(2 * batch)),
            ("BCE on fake and real", () => backend.Loss(LossKind.BinaryCrossEntropy, new LossOperands(d.Output(2 * batch), d.OutputGradient(2 * batch)),
                new LossSegment { Rows = batch, Target = 0f, GradientScale = 1f / batch, ValueScale = 1f / batch, Sum = stats.View(0, 1, 1), Score = stats.View(1, 1, 1) },
                new LossSegment { Rows = batch, Target = 1f, GradientScale = 1f / batch, ValueScale = 1f / batch, Sum = stats.View(2, 1, 1), Score = stats.View(3, 1, 1) })),
            ("D backward (2B, weights)", () => d.Backward(2 * batch)),
            ("Adam D", () => adamD.Step()),
            ("D forward (B)", () => d.Forward(batch)),
            ("D backward (B, input only)", () => d.Backward(batch, weightGradients: false, inputGradient: true)),
            ("G backward (B, weights)", () => g.Backward(batch, d.InputGradient(batch))),
            ("Adam G", () => adamG.Step()),
        };

        // Warm up every part first, so tiered compilation has promoted them all before any is timed.
        for (int i = 0; i < 3 * calls; i++)
        {
            foreach (var (_, body) in parts)
            {
                body();
            }
        }

        backend.Synchronize();
        Console.WriteLine($"batch {batch}, {backend.Description}");
        bool graphs = backend.SupportsCapture;
        Console.WriteLine(graphs ? $"  {"part",-28} {"eager",8}    {"graph",8}  nodes  chain" : $"  {"part",-28} {"time",8}");
        double total = 0, totalGraph = 0;
        int totalNodes = 0, totalChain = 0;
        foreach (var (name, body) in parts)
        {
            double eager = Median(body, backend, calls);
            total += eager;
            if (!graphs)
            {
                Console.WriteLine($"  {name,-28} {eager,8:F1} us");
                continue;
            }

            using var graph = backend.Capture(body);
            double replayed = Median(graph.Launch, backend, calls);
            totalGraph += replayed;
            totalNodes += graph.NodeCount;
            totalChain += graph.LongestChain;
            Console.WriteLine($"  {name,-28} {eager,8:F1} us {replayed,8:F1} us  {graph.NodeCount,5}  {graph.LongestChain,5}");
        }

        Console.WriteLine(graphs
            ? $"  {"sum of parts",-28} {total,8:F1} us {totalGraph,8:F1} us  {totalNodes,5}  {totalChain,5}"
            : $"  {"sum of parts",-28} {total,8:F1} us");
    }

    // Median over 9 runs of that many calls (100 for the seed GAN), waiting for the device after each run.
    private static double Median(Action body, Backend backend, int calls) =>
        Timing.Median(Timing.Runs(body, backend, warmup: Math.Max(1, calls / 2), runs: 9, calls: calls).Sorted);
}
