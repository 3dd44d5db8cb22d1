using System.Diagnostics;
using GanDsl;
using GanDsl.Backends;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Imaging;
using GanDsl.IO;
using GanDsl.Metrics;
using GanDsl.Training;

namespace GanDsl.Samples;

/// <summary>A sample's training recipe: the defaults its paper or tutorial uses, each overridable from the command line.</summary>
internal sealed record SampleDefaults
{
    public int Epochs { get; init; } = 30;

    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 2e-4;

    /// <summary>The optimizer of every network for a learning rate.</summary>
    public Func<double, OptimizerSettings> Optimizer { get; init; } = lr => new AdamSettings(lr);

    public GanLoss Loss { get; init; } = GanLoss.NonSaturating;

    public int CriticSteps { get; init; } = 1;

    public int SampleCount { get; init; } = 64;

    public int SampleColumns { get; init; } = 8;

    /// <summary>Whether --loss may choose another objective.</summary>
    public bool LossOption { get; init; }

    /// <summary>Whether the GAN step's options (--critic-steps, --label-smoothing) apply.</summary>
    public bool GanOptions { get; init; } = true;

    /// <summary>Whether the step generates images from noise (--export, and the MNIST metrics of generated images).</summary>
    public bool Generates { get; init; } = true;

    /// <summary>The sample's own options, with their defaults.</summary>
    public IReadOnlyList<SampleSetting> Settings { get; init; } = [];
}

/// <summary>What a sample's step is made with: the backend, the parsed options, MNIST.</summary>
/// <param name="Backend">Where it trains.</param>
/// <param name="Options">The command line.</param>
/// <param name="Data">MNIST, loaded.</param>
/// <param name="Seed">The seed of the networks' initialisation.</param>
internal sealed record SampleSetup(Backend Backend, SampleCommandLine Options, MnistData Data, ulong Seed);

/// <summary>
/// What every GanDsl sample does with its step: train (resumable, with checkpoints, curves, sample grids and optional
/// metrics), evaluate a checkpoint, export generated images; the same options and messages for every step.
/// </summary>
/// <param name="Name">The sample's project name, e.g. MnistGan.</param>
/// <param name="Description">One line for the usage text.</param>
/// <param name="Defaults">The training recipe.</param>
/// <param name="CreateStep">Makes the step (and its networks) on a backend.</param>
internal sealed record Sample(string Name, string Description, SampleDefaults Defaults, Func<SampleSetup, TrainingStep> CreateStep)
{
    /// <summary>
    /// The sample's own evaluation of a trained step, for --metrics-every and eval (default: for a step that generates,
    /// the MNIST metrics of <c>count</c> generated images).
    /// </summary>
    public Func<TrainingStep, MnistData, MnistEvaluator, int, MetricsReport>? Evaluation { get; init; }

    /// <summary>What the step trains on (default: MNIST's training images).</summary>
    public Func<MnistData, TrainingData>? TrainingData { get; init; }

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

        using var step = CreateStep(new SampleSetup(backend, options, data, options.Seed));
        using var networks = new Owned(step);
        foreach (var (_, network) in step.Networks)
        {
            log.WriteLine();
            log.WriteLine(network.Layout.Summary);
        }

        log.WriteLine();
        string checkpoints = Path.Combine(options.Out, "checkpoints");
        using var trainer = new Trainer(step, new TrainerOptions
        {
            Seed = options.Seed,
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

        foreach (var (_, network) in step.Networks)
        {
            log.WriteLine(network.MemorySummary());
        }

        if (options.Resume is { } resume)
        {
            string path = CheckpointFiles.Resolve(resume, checkpoints);
            trainer.LoadCheckpoint(path);
            log.WriteLine($"resumed from {path}: {trainer.EpochCount} epochs and {trainer.EpochPosition} steps done, step {trainer.StepCount:N0}");
        }

        if (options.MetricsEvery > 0)
        {
            var evaluator = MnistEvaluator.Create(data, backend, log);
            trainer.EpochCompleted += result =>
            {
                if (result.Epoch % options.MetricsEvery == 0)
                {
                    log.WriteLine(Score(step, data, evaluator, options.Samples).ToTable($"metrics after epoch {result.Epoch}"));
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
            var optimizer = Defaults.Optimizer(options.LearningRate);
            string recipe = Defaults.GanOptions
                ? $", {options.Loss} loss" + (options.CriticSteps > 1 ? $", {options.CriticSteps} critic steps per generator step" : "")
                : "";
            log.WriteLine($"training to epoch {options.Epochs}: batch {options.BatchSize}{recipe}, {optimizer.Kind} lr {options.LearningRate}, seed {options.Seed}; output in {Path.GetFullPath(options.Out)}");
            var clock = Stopwatch.StartNew();
            long startStep = trainer.StepCount;
            var epochs = trainer.Fit(TrainingData?.Invoke(data) ?? data.Train, options.Epochs, stop.Token);
            string? final = trainer.SaveSamples(Path.Combine(options.Out, "final.png"));
            long steps = trainer.StepCount - startStep;
            log.WriteLine($"done: {epochs.Count} epochs, {steps:N0} steps in {clock.Elapsed:hh\\:mm\\:ss}" +
                (steps > 0 ? $", {clock.Elapsed.TotalMilliseconds / steps:F2} ms per step" : "") + (final is null ? "" : $"; final samples {final}"));
            if (options.ExportCount is int count && options.ExportPath is { } exportPath)
            {
                Export((IImageGenerator)step, count, exportPath, log);
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
        using var step = CreateStep(new SampleSetup(backend, options, data, 0));
        using var networks = new Owned(step);
        using var trainer = new Trainer(step);
        trainer.LoadCheckpoint(path, requireSameOptions: false);
        log.WriteLine($"checkpoint {path}: epoch {trainer.EpochCount}, step {trainer.StepCount:N0}");
        var evaluator = MnistEvaluator.Create(data, backend, log);
        log.WriteLine(Score(step, data, evaluator, options.Samples).ToTable($"{options.Samples:N0} {(Defaults.Generates ? "generated" : "test")} images"));
        return 0;
    }

    /// <summary>The sample's evaluation, or the MNIST metrics of <paramref name="count"/> generated images (each class in turn, conditioned).</summary>
    private MetricsReport Score(TrainingStep step, MnistData data, MnistEvaluator evaluator, int count)
    {
        if (Evaluation is { } evaluate)
        {
            return evaluate(step, data, evaluator, count);
        }

        var generator = (IImageGenerator)step;
        var labels = generator.ClassCount > 0 ? new int[count] : [];
        var images = generator.Generate(count, labels);
        return evaluator.Evaluate(images, count, labels);
    }

    private static void Export(IImageGenerator generator, int count, string path, TextWriter log)
    {
        var images = generator.Generate(count);
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

    /// <summary>The networks a sample made for its step, disposed with it.</summary>
    private sealed class Owned(TrainingStep step) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (_, network) in step.Networks)
            {
                network.Dispose();
            }
        }
    }
}
