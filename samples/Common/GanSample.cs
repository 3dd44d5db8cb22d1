using System.Diagnostics;
using GanDsl;
using GanDsl.Backends;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Imaging;
using GanDsl.IO;
using GanDsl.Training;

namespace GanDsl.Samples;

/// <summary>A sample's training recipe: the defaults its paper or tutorial uses, each overridable from the command line.</summary>
internal sealed record SampleDefaults
{
    public int Epochs { get; init; } = 30;

    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 2e-4;

    /// <summary>The optimizer of both networks for a learning rate.</summary>
    public Func<double, OptimizerSettings> Optimizer { get; init; } = lr => new AdamSettings(lr);

    public GanLoss Loss { get; init; } = GanLoss.NonSaturating;

    public int CriticSteps { get; init; } = 1;

    public int SampleCount { get; init; } = 64;

    public int SampleColumns { get; init; } = 8;

    /// <summary>Whether --loss may choose another objective.</summary>
    public bool LossOption { get; init; }
}

/// <summary>
/// What every GanDsl sample does with its two networks: train (resumable, with checkpoints, curves,
/// sample grids and optional metrics), evaluate a checkpoint, export generated images.
/// </summary>
/// <param name="Name">The sample's project name, e.g. MnistGan.</param>
/// <param name="Description">One line for the usage text.</param>
/// <param name="CreateGenerator">Makes the generator on a backend from a seed.</param>
/// <param name="CreateDiscriminator">Makes the discriminator on a backend from a seed.</param>
/// <param name="Defaults">The training recipe.</param>
internal sealed record GanSample(
    string Name,
    string Description,
    Func<Backend, ulong, Network> CreateGenerator,
    Func<Backend, ulong, Network> CreateDiscriminator,
    SampleDefaults Defaults)
{
    private string DefaultOut => Path.Combine("out", Name.ToLowerInvariant());

    /// <summary>Runs the sample; returns the process exit code (0 done, 1 failed, 2 bad options, 130 interrupted).</summary>
    public int Run(string[] args)
    {
        SampleCommandLine options;
        try
        {
            options = SampleCommandLine.Parse(args, DefaultOut, Defaults);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine();
            Console.Error.WriteLine(SampleCommandLine.Usage(Name, Description, DefaultOut, Defaults));
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(SampleCommandLine.Usage(Name, Description, DefaultOut, Defaults));
            return 0;
        }

        try
        {
            return options.Command == SampleCommand.Eval ? Evaluate(options) : Train(options);
        }
        catch (Exception e) when (e is MnistNotFoundException or MnistFormatException or CheckpointFormatException or CheckpointMismatchException
                                   or NotSupportedException or TrainingDivergedException or IOException or UnauthorizedAccessException
                                   or GanDsl.Cuda.CudaException or GanDsl.Cuda.KernelCompileException or GanDsl.Cuda.Interop.CudaUnavailableException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private int Train(SampleCommandLine options)
    {
        var log = Console.Out;
        using var backend = BackendFactory.Create(BackendFactory.Parse(options.Device), log, options.Threads, options.Tf32);
        log.WriteLine($"device: {backend.Description}");
        var data = Mnist.Load(options.Data, log);
        log.WriteLine($"data: {data.Train.Count:N0} training images from {data.Directory}");

        using var generator = CreateGenerator(backend, options.Seed);
        using var discriminator = CreateDiscriminator(backend, options.Seed + 1);
        log.WriteLine();
        log.WriteLine(generator.Layout.Summary);
        log.WriteLine();
        log.WriteLine(discriminator.Layout.Summary);
        log.WriteLine();

        var optimizer = Defaults.Optimizer(options.LearningRate);
        string checkpoints = Path.Combine(options.Out, "checkpoints");
        using var gan = new GanTrainer(generator, discriminator, new GanOptions
        {
            BatchSize = options.BatchSize,
            Seed = options.Seed,
            Loss = options.Loss,
            CriticSteps = options.CriticSteps,
            LabelSmoothing = options.LabelSmoothing,
            GeneratorOptimizer = optimizer,
            DiscriminatorOptimizer = optimizer,
            SampleCount = Defaults.SampleCount,
            SampleColumns = Defaults.SampleColumns,
            SampleDirectory = options.Out,
            LogDirectory = options.Out,
            LogEvery = options.LogEvery,
            CheckpointDirectory = checkpoints,
            CheckpointEvery = options.CheckpointEvery,
            KeepCheckpoints = options.Keep,
            Log = log,
            ProgressBar = options.Progress,
            CaptureSteps = options.Graphs,
        });

        log.WriteLine(generator.MemorySummary());
        log.WriteLine(discriminator.MemorySummary());
        if (options.Resume is { } resume)
        {
            string path = CheckpointFiles.Resolve(resume, checkpoints);
            gan.LoadCheckpoint(path);
            log.WriteLine($"resumed from {path}: {gan.EpochCount} epochs and {gan.EpochPosition} steps done, step {gan.StepCount:N0}");
        }

        MnistEvaluator? evaluator = null;
        if (options.MetricsEvery > 0)
        {
            evaluator = MnistEvaluator.Create(data, backend, log);
            gan.EpochCompleted += result =>
            {
                if (result.Epoch % options.MetricsEvery == 0)
                {
                    log.WriteLine(Score(evaluator, gan, options.Samples).ToTable($"metrics after epoch {result.Epoch}"));
                }
            };
        }

        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl+C: finish the current step, write a checkpoint, exit. A second one kills.
            if (!stop.IsCancellationRequested)
            {
                e.Cancel = true;
                stop.Cancel();
            }
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            log.WriteLine($"training to epoch {options.Epochs}: batch {options.BatchSize}, {options.Loss} loss, {optimizer.Kind} lr {options.LearningRate}" +
                (options.CriticSteps > 1 ? $", {options.CriticSteps} critic steps per generator step" : "") + $", seed {options.Seed}; output in {Path.GetFullPath(options.Out)}");
            var clock = Stopwatch.StartNew();
            long startStep = gan.StepCount;
            var epochs = gan.Fit(data.Train, options.Epochs, stop.Token);
            string final = gan.SaveSamples(Path.Combine(options.Out, "final.png"));
            long steps = gan.StepCount - startStep;
            log.WriteLine($"done: {epochs.Count} epochs, {steps:N0} steps in {clock.Elapsed:hh\\:mm\\:ss}" +
                (steps > 0 ? $", {clock.Elapsed.TotalMilliseconds / steps:F2} ms per step" : "") + $"; final samples {final}");
            if (options.ExportCount is int count && options.ExportPath is { } exportPath)
            {
                Export(gan, count, exportPath, log);
            }

            return stop.IsCancellationRequested ? 130 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private int Evaluate(SampleCommandLine options)
    {
        var log = Console.Out;
        using var backend = BackendFactory.Create(BackendFactory.Parse(options.Device), log, options.Threads, options.Tf32);
        var data = Mnist.Load(options.Data, log);
        string path = CheckpointFiles.Resolve(options.Checkpoint ?? "latest", Path.Combine(options.Out, "checkpoints"));
        using var generator = CreateGenerator(backend, 0);
        using var discriminator = CreateDiscriminator(backend, 1);
        var optimizer = Defaults.Optimizer(options.LearningRate);
        using var gan = new GanTrainer(generator, discriminator, new GanOptions
        {
            BatchSize = options.BatchSize,
            Loss = options.Loss,
            GeneratorOptimizer = optimizer,
            DiscriminatorOptimizer = optimizer,
        });
        gan.LoadCheckpoint(path, requireSameOptions: false);
        log.WriteLine($"checkpoint {path}: epoch {gan.EpochCount}, step {gan.StepCount:N0}");
        var evaluator = MnistEvaluator.Create(data, backend, log);
        log.WriteLine(Score(evaluator, gan, options.Samples).ToTable($"{options.Samples:N0} generated images"));
        return 0;
    }

    /// <summary>Generates <paramref name="count"/> images (each class in turn, for a conditional generator) and scores them.</summary>
    private static MetricsReport Score(MnistEvaluator evaluator, GanTrainer gan, int count)
    {
        bool conditional = gan.Generator.Layout.ConditionClasses > 0;
        var labels = conditional ? new int[count] : [];
        var images = gan.Generate(count, labels);
        return evaluator.Evaluate(images, count, labels);
    }

    private static void Export(GanTrainer gan, int count, string path, TextWriter log)
    {
        var images = gan.Generate(count);
        var (height, width) = (28, 28);
        using (var file = new MemoryStream())
        {
            IdxWriter.WriteImages(file, images, count, height, width);
            AtomicFile.WriteAllBytes(path, file.ToArray());
        }

        int columns = (int)Math.Ceiling(Math.Sqrt(count));
        ImageGrid.Save(path + ".png", images, count, height, width, columns, padding: 1, scale: 1);
        log.WriteLine($"exported {count:N0} images to {path} (IDX) and {path}.png");
    }
}
