using System.Diagnostics;
using System.Runtime.InteropServices;
using GanDsl;
using GanDsl.Backends;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Imaging;

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

    /// <summary>The decay of the generator's averaged weights (--ema); 0: none.</summary>
    public float GeneratorAverage { get; init; }

    public int SampleCount { get; init; } = 64;

    public int SampleColumns { get; init; } = 8;

    /// <summary>Whether --loss may choose another objective.</summary>
    public bool LossOption { get; init; }

    /// <summary>Whether the GAN step's options (--critic-steps, --label-smoothing, --ema, --d-lr, --decay-from) apply.</summary>
    public bool GanOptions { get; init; } = true;

    /// <summary>Whether the step generates images from noise (--export, and the MNIST metrics of generated images).</summary>
    public bool Generates { get; init; } = true;

    /// <summary>The sample's own options, with their defaults.</summary>
    public IReadOnlyList<SampleSetting> Settings { get; init; } = [];

    /// <summary>
    /// The TensorFlow DCGAN tutorial's recipe (samples/HrDcgan; samples/Dcgan's until it was found short): Adam 1e-4 with Keras'
    /// betas 0.9 and 0.999 and epsilon 1e-7, batch 256, a 4x4 grid; 2 epochs (the tutorial's 50 take two hours here).
    /// </summary>
    public static SampleDefaults TensorFlowDcgan { get; } = new()
    {
        Epochs = 2,
        BatchSize = 256,
        LearningRate = 1e-4,
        Optimizer = lr => new AdamSettings(lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7),
        SampleCount = 16,
        SampleColumns = 4,
    };

    /// <summary>
    /// samples/Dcgan's recipe: the tutorial's networks and Adam epsilon, with the DCGAN paper's Adam (2e-4, beta1 0.5) at
    /// batch 64 and the generator's weights averaged (0.999), for 20 epochs: the first recipe found whose run draws digits
    /// by the sample's own measure (MNIST score 8.04 at epoch 16, 8.11 at 20; the tutorial's own scores 6.1 to 6.8 at 30).
    /// </summary>
    public static SampleDefaults Dcgan { get; } = TensorFlowDcgan with
    {
        Epochs = 20,
        BatchSize = 64,
        LearningRate = 2e-4,
        Optimizer = lr => new AdamSettings(lr, beta1: 0.5, beta2: 0.999, epsilon: 1e-7),
        GeneratorAverage = 0.999f,
    };
}

/// <summary>What a sample's step is made with: the backend, the parsed options, MNIST.</summary>
/// <param name="Backend">Where it trains.</param>
/// <param name="Options">The command line.</param>
/// <param name="Data">MNIST, loaded.</param>
/// <param name="Seed">The seed of the networks' initialisation.</param>
/// <param name="Optimizer">Every network's optimizer: the recipe's, with --lr, --beta1 and --beta2 applied.</param>
internal sealed record SampleSetup(Backend Backend, SampleCommandLine Options, MnistData Data, ulong Seed, OptimizerSettings Optimizer);

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

    /// <summary>What the step trains on, from MNIST and the options (default: MNIST's training images).</summary>
    public Func<MnistData, SampleCommandLine, TrainingData>? TrainingData { get; init; }

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

        if (options.Version)
        {
            Console.WriteLine($"GanDsl {Backend.Version} ({Name} sample, .NET {Environment.Version})");
            return 0;
        }

        try
        {
            return options.Command == SampleCommand.Eval ? Evaluate(options) : Train(options);
        }
        catch (Exception e) when (e is SampleOptionException or InsufficientMemoryException)
        {
            // A value the command line chose that this data or machine cannot take (a batch larger than the data, or than memory).
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is MnistNotFoundException or MnistFormatException or CheckpointFormatException or CheckpointMismatchException
                                   or NotSupportedException or TrainingDivergedException or IOException or UnauthorizedAccessException
                                   or GanDsl.Cuda.CudaException or GanDsl.Cuda.KernelCompileException or GanDsl.Cuda.CudaUnavailableException
                                   or ArgumentException or InvalidOperationException or OutOfMemoryException)
        {
            // The library's exceptions say what and where; the user gets that line, not a stack trace.
            Console.Error.WriteLine($"error: {FirstLines(e)}");
            return 1;
        }
    }

    // The message, and an inner exception's when it adds something (an I/O error under a format error).
    private static string FirstLines(Exception e) =>
        e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} ({inner.Message})" : e.Message;

    /// <summary>
    /// Everything the command line names on disk, checked before any data is loaded or memory allocated: --out is a folder
    /// that can be written, --data is not a file, --export's file can be created, and the checkpoint to resume or evaluate exists.
    /// Returns the checkpoint's path, if one is named.
    /// </summary>
    private static string? CheckPaths(SampleCommandLine options)
    {
        string checkpoints = Path.Combine(options.Out, "checkpoints");
        if (File.Exists(options.Out))
        {
            throw new SampleOptionException($"--out {options.Out} is a file; give a folder for the sample grids, training.csv and checkpoints/.");
        }

        if (options.Data is { } data && File.Exists(data))
        {
            throw new SampleOptionException($"--data {data} is a file; give the folder that holds (or will hold) MNIST's four files.");
        }

        if (options.Command == SampleCommand.Eval)
        {
            try
            {
                return CheckpointFiles.Resolve(options.Checkpoint ?? "latest", checkpoints, "to evaluate");
            }
            catch (FileNotFoundException e)
            {
                throw new SampleOptionException($"{e.Message} Train first, or name a checkpoint with --checkpoint PATH.");
            }
        }

        RequireWritable("--out", Path.Combine(options.Out, ".gandsl-write-check"));
        if (options.ExportPath is { } export)
        {
            if (Directory.Exists(export))
            {
                throw new SampleOptionException($"--export {export} is a folder; name the IDX file to write.");
            }

            RequireWritable("--export", export + ".gandsl-write-check");
        }

        if (options.Resume is not { } resume)
        {
            return null;
        }

        try
        {
            return CheckpointFiles.Resolve(resume, checkpoints);
        }
        catch (FileNotFoundException e)
        {
            throw new SampleOptionException($"--resume: {e.Message}");
        }
    }

    // Creates (and removes) a file where the run will write, so a folder that cannot be written fails now, not after training.
    private static void RequireWritable(string option, string probe)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(probe))!);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleOptionException($"{option}: cannot write to {Path.GetDirectoryName(Path.GetFullPath(probe))} ({e.Message.TrimEnd('.')}).");
        }
    }

    private int Train(SampleCommandLine options)
    {
        var log = Console.Out;
        string? resumePath = CheckPaths(options);
        using var backend = CreateBackend(options, log);
        var data = Mnist.Load(options.Data, log);
        var trainingData = TrainingData?.Invoke(data, options) ?? data.Train;
        log.WriteLine($"data: {trainingData.Count:N0} training images from {data.Directory}");
        if (options.BatchSize > trainingData.Count)
        {
            throw new SampleOptionException($"--batch-size {options.BatchSize:N0} is more than the {trainingData.Count:N0} training images; use at most {trainingData.Count:N0}.");
        }

        using var step = CreateStep(new SampleSetup(backend, options, data, options.Seed, options.Optimizer(Defaults)));
        using var networks = new Owned(step);
        using var trainer = new Trainer(step, new TrainerOptions
        {
            Seed = options.Seed,
            OutputDirectory = options.Out,
            LogEvery = options.LogEvery,
            CheckpointEvery = options.CheckpointEvery,
            KeepCheckpoints = options.Keep,
            Log = log,
            ProgressBar = options.Progress,
            CaptureSteps = options.Graphs,
        });

        if (resumePath is { } path)
        {
            trainer.LoadCheckpoint(path);
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
        int stopCode = 130;
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

        // SIGTERM (kill, a job scheduler's stop, docker stop) ends the run as Ctrl+C does, keeping the partial epoch.
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (!stop.IsCancellationRequested)
            {
                context.Cancel = true;
                stopCode = 143;
                stop.Cancel();
            }
        });
        try
        {
            var clock = Stopwatch.StartNew();
            long startStep = trainer.StepCount;
            var epochs = trainer.Fit(trainingData, options.Epochs, stop.Token);
            string? final = trainer.SaveSamples(Path.Combine(options.Out, "final.png"));
            long steps = trainer.StepCount - startStep;
            log.WriteLine($"done: {epochs.Count} epochs, {steps:N0} steps in {clock.Elapsed:hh\\:mm\\:ss}" +
                (steps > 0 ? $", {clock.Elapsed.TotalMilliseconds / steps:F2} ms per step" : "") + (final is null ? "" : $"; final samples {final}"));
            if (options.ExportCount is int count && options.ExportPath is { } exportPath)
            {
                Export((IImageGenerator)step, count, exportPath, log);
            }

            return stop.IsCancellationRequested ? stopCode : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static Backend CreateBackend(SampleCommandLine options, TextWriter log)
    {
        try
        {
            return Backend.Create(options.Device, log, options.Threads, options.Tf32);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{e.Message} Use --device cpu, or auto to fall back to the CPU.", e);
        }
    }

    private int Evaluate(SampleCommandLine options)
    {
        var log = Console.Out;
        string path = CheckPaths(options)!;
        using var backend = CreateBackend(options, log);
        var data = Mnist.Load(options.Data, log);

        // Whether the run kept the generator's average is the checkpoint's to say, unless --ema is given: the sample's
        // default may differ from the run's (samples/Dcgan averages by default; a run with --ema 0 does not).
        if (Defaults.GanOptions && !options.GeneratorAverageGiven && KeepsAverage(path) is bool averaged && averaged != options.GeneratorAverage > 0f)
        {
            options = options with { GeneratorAverage = averaged ? 0.999f : 0f };
            log.WriteLine(averaged ? "the checkpoint keeps the generator's average, which draws the images" : "the checkpoint keeps no average of the generator: its last weights draw the images");
        }

        using var step = CreateStep(new SampleSetup(backend, options, data, 0, options.Optimizer(Defaults)));
        using var networks = new Owned(step);
        using var trainer = new Trainer(step);
        trainer.LoadCheckpoint(path, requireSameOptions: false);
        log.WriteLine($"checkpoint {path}: epoch {trainer.EpochCount}, step {trainer.StepCount:N0}");
        var evaluator = MnistEvaluator.Create(data, backend, log);
        var report = Score(step, data, evaluator, options.Samples); // a sample's own measure may score another count (CycleGAN: the test 6s and 9s)
        log.WriteLine(report.ToTable($"{report.Count:N0} {(Defaults.Generates ? "generated" : "scored")} images"));
        return 0;
    }

    /// <summary>
    /// Whether the checkpoint holds the generator's average (a network part <c>generator.average</c>); null when the file
    /// cannot be read as a GanDsl checkpoint, which loading it then reports.
    /// </summary>
    private static bool? KeepsAverage(string path)
    {
        try
        {
            return SafetensorsFile.Read(path).Metadata.TryGetValue("networks", out var networks)
                ? networks.Split(';').Any(part => part.StartsWith("generator.average=", StringComparison.Ordinal))
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) // CheckpointFormatException is an IOException
        {
            return null;
        }
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
        const int gridMax = 10_000;
        var images = generator.Generate(count);
        var (height, width) = (28, 28);
        IdxWriter.SaveImages(path, images, count, height, width);
        int shown = Math.Min(count, gridMax);
        int columns = (int)Math.Ceiling(Math.Sqrt(shown));
        ImageGrid.Save(path + ".png", images.AsSpan(0, shown * height * width), shown, height, width, columns, padding: 1, scale: 1);
        log.WriteLine($"exported {count:N0} images to {path} (IDX) and {(shown < count ? $"the first {shown:N0} to " : "")}{path}.png");
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

/// <summary>An option whose value the data, the disk or the machine refuses, found after parsing: exit code 2, as for a malformed option.</summary>
internal sealed class SampleOptionException(string message) : Exception(message);
