using System.Diagnostics;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Training;
using MnistGan;

CommandLine options;
try
{
    options = CommandLine.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine();
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

var log = Console.Out;
try
{
    using var backend = BackendFactory.Create(BackendFactory.Parse(options.Device), log, options.Threads);
    log.WriteLine($"device: {backend.Description}");

    var data = Mnist.Load(options.Data, log);
    log.WriteLine($"data: {data.Train.Count:N0} training images from {data.Directory}");

    using var generator = new MnistGenerator(backend, options.Seed);
    using var discriminator = new MnistDiscriminator(backend, options.Seed + 1);
    log.WriteLine();
    log.WriteLine(generator.Layout.Summary);
    log.WriteLine();
    log.WriteLine(discriminator.Layout.Summary);
    log.WriteLine();

    var adam = new AdamSettings(learningRate: options.LearningRate);
    var gan = new GanTrainer(generator, discriminator, new GanOptions
    {
        BatchSize = options.BatchSize,
        Seed = options.Seed,
        GeneratorOptimizer = adam,
        DiscriminatorOptimizer = adam,
        SampleDirectory = options.Out,
        Log = log,
        ProgressBar = options.Progress,
    });

    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        // First Ctrl+C: finish the current step, write the final grid, exit. A second one kills.
        if (!stop.IsCancellationRequested)
        {
            e.Cancel = true;
            stop.Cancel();
        }
    };

    log.WriteLine($"training {options.Epochs} epochs, batch {options.BatchSize}, Adam lr {options.LearningRate}, seed {options.Seed}; samples in {Path.GetFullPath(options.Out)}");
    var clock = Stopwatch.StartNew();
    var epochs = gan.Fit(data.Train, options.Epochs, stop.Token);
    string final = gan.SaveSamples(Path.Combine(options.Out, "final.png"));
    log.WriteLine($"done: {epochs.Count} epochs, {gan.StepCount:N0} steps in {clock.Elapsed:hh\\:mm\\:ss}, {clock.Elapsed.TotalMilliseconds / Math.Max(1, gan.StepCount):F2} ms per step; final samples {final}");
    return stop.IsCancellationRequested ? 130 : 0;
}
catch (Exception e) when (e is MnistNotFoundException or MnistFormatException or NotSupportedException or TrainingDivergedException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
