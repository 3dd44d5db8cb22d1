using System.Globalization;
using GanDsl.Backends;

namespace GanDsl.Samples;

/// <summary>What a sample was asked to do.</summary>
internal enum SampleCommand
{
    /// <summary>Train (the default), optionally resuming, then optionally export.</summary>
    Train,

    /// <summary>Load a checkpoint, generate images and print the metrics.</summary>
    Eval,
}

/// <summary>
/// The options every GanDsl sample takes, parsed from <c>[eval] --name value</c> pairs with errors
/// that name the bad option.
/// </summary>
internal sealed record SampleCommandLine
{
    public SampleCommand Command { get; init; } = SampleCommand.Train;

    public int Epochs { get; init; } = 30;

    public int BatchSize { get; init; } = 64;

    public GanLoss Loss { get; init; } = GanLoss.NonSaturating;

    public int CriticSteps { get; init; } = 1;

    public float LabelSmoothing { get; init; }

    public float GeneratorAverage { get; init; }

    /// <summary>Whether --ema was given (eval otherwise follows the checkpoint: averaged generator or not).</summary>
    public bool GeneratorAverageGiven { get; init; }

    /// <summary>The discriminator's learning rate (--d-lr), when it differs from --lr (two time scales, Heusel et al. 2017).</summary>
    public double? DiscriminatorLearningRate { get; init; }

    /// <summary>Epochs at the full learning rate before it falls linearly to zero after the last (--decay-from); null: constant.</summary>
    public int? DecayFrom { get; init; }

    public DeviceChoice Device { get; init; } = DeviceChoice.Auto;

    public string? Data { get; init; }

    public string Out { get; init; } = "out";

    public ulong Seed { get; init; }

    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Adam's beta1, when given (else the sample's recipe).</summary>
    public double? Beta1 { get; init; }

    /// <summary>Adam's beta2, when given (else the sample's recipe).</summary>
    public double? Beta2 { get; init; }

    public int? Threads { get; init; }

    public bool Progress { get; init; } = true;

    public bool Graphs { get; init; } = true;

    public bool Tf32 { get; init; }

    public int CheckpointEvery { get; init; } = 1;

    public int Keep { get; init; } = 3;

    public string? Resume { get; init; }

    public int MetricsEvery { get; init; }

    public int LogEvery { get; init; } = 100;

    public int? ExportCount { get; init; }

    public string? ExportPath { get; init; }

    public string? Checkpoint { get; init; }

    public int Samples { get; init; } = 10_000;

    /// <summary>The values of the sample's own options (<see cref="SampleDefaults.Settings"/>), by name without the dashes.</summary>
    public IReadOnlyDictionary<string, double> Settings { get; init; } = new Dictionary<string, double>();

    /// <summary>The value of the sample's own option <paramref name="name"/>.</summary>
    public double Setting(string name) => Settings[name];

    public bool Help { get; init; }

    public bool Version { get; init; }

    /// <summary>The optimizer settings of every network: the recipe's at --lr, with --beta1 and --beta2 when given.</summary>
    public OptimizerSettings Optimizer(SampleDefaults defaults)
    {
        var settings = defaults.Optimizer(LearningRate);
        return settings is AdamSettings adam ? adam with { Beta1 = Beta1 ?? adam.Beta1, Beta2 = Beta2 ?? adam.Beta2 } : settings;
    }

    /// <summary>The objectives --loss accepts, by name.</summary>
    public static IReadOnlyDictionary<string, GanLoss> LossNames { get; } = new Dictionary<string, GanLoss>
    {
        ["nonsaturating"] = GanLoss.NonSaturating,
        ["minimax"] = GanLoss.Minimax,
        ["lsgan"] = GanLoss.LeastSquares,
        ["hinge"] = GanLoss.Hinge,
        ["wgan"] = GanLoss.Wasserstein,
    };

    public static string Usage(string sample, string description, string defaultOut, SampleDefaults defaults)
    {
        string lossLine = defaults.LossOption
            ? "\n  --loss L              nonsaturating, minimax, lsgan, hinge or wgan                    (default nonsaturating)"
            : "";
        string ganLines = defaults.GanOptions
            ? $"""

              --critic-steps N      discriminator updates per generator update                      (default {defaults.CriticSteps})
              --label-smoothing S   one-sided: real images get target 1 - S                         (default 0)
              --ema D               the generator's weights averaged with decay D (0: none) draw    (default {defaults.GeneratorAverage.ToString(CultureInfo.InvariantCulture)})
                                    the samples, metrics, eval and export
              --d-lr X              the discriminator's learning rate, when not --lr's              (default --lr)
              --decay-from E        the learning rates fall linearly from epoch E to zero after     (default none)
                                    the last (--epochs){lossLine}
            """.TrimEnd()
            : "";
        string exportLines = defaults.Generates
            ? """

              --export N PATH       after training, write N generated images (at most 100,000) to PATH
                                    as an IDX file, and the first 10,000 to PATH.png as a grid
            """.TrimEnd()
            : "";
        string settingLines = string.Concat(defaults.Settings.Select(o =>
            $"\n  {("--" + o.Name + " X").PadRight(21)} {o.Description.PadRight(63)} (default {o.Default.ToString(CultureInfo.InvariantCulture)})"));
        string optimizer = $"{defaults.Optimizer(1).Kind} learning rate of every network".PadRight(63);
        string rate = defaults.LearningRate.ToString(CultureInfo.InvariantCulture);
        string betaLines = defaults.Optimizer(defaults.LearningRate) is AdamSettings adam
            ? $"""

              --beta1 X             Adam's first-moment decay, in [0, 1)                            (default {adam.Beta1.ToString(CultureInfo.InvariantCulture)})
              --beta2 X             Adam's second-moment decay, in [0, 1)                           (default {adam.Beta2.ToString(CultureInfo.InvariantCulture)})
            """.TrimEnd()
            : "";
        return $"""
        {sample}: {description}

        Usage: dotnet run -c Release --project samples/{sample} -- [options]            train
               dotnet run -c Release --project samples/{sample} -- eval [options]       evaluate a checkpoint

        Training:
          --epochs N            train until N epochs are done in all (a resumed run continues)  (default {defaults.Epochs})
          --batch-size N        images per batch                                                (default {defaults.BatchSize})
          --lr X                {optimizer} (default {rate}){betaLines}{ganLines}{settingLines}
          --seed N              seed of initialisation, noise and shuffling                     (default 0)
          --resume PATH|latest  continue from a checkpoint (latest: the newest in --out/checkpoints)
          --checkpoint-every N  epochs between checkpoints; 0 = only at the end and on Ctrl+C   (default 1)
          --keep N              checkpoints to keep                                             (default 3)
          --metrics-every K     MNIST metrics every K epochs; 0 = never                         (default 0)
          --log-every N         steps between rows of training.csv                              (default 100){exportLines}
          --no-progress         no progress bar, one line per epoch
          --no-graphs           on a GPU, launch every call instead of replaying the captured step

        Evaluation (eval):
          --checkpoint PATH|latest   the checkpoint to evaluate                                  (default latest)
          --samples N                images to generate and score                                (default 10000)

        Both:
          --device D            auto, cpu or cuda                                               (default auto)
          --data DIR            MNIST folder; downloaded there when missing  (default $GANDSL_DATA, else ~/.cache/gandsl/mnist)
          --out DIR             sample grids, training.csv/png and checkpoints/                 (default {defaultOut})
          --threads N           CPU threads                                                     (default all cores)
          --tf32                on a GPU, TF32 tensor-core GEMMs (faster, ~3 digits)            (default fp32)
          --version             GanDsl's version
          --help                this text
        """;
    }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> naming the bad option.</summary>
    public static SampleCommandLine Parse(string[] args, string defaultOut, SampleDefaults defaults)
    {
        var result = new SampleCommandLine
        {
            Out = defaultOut,
            Epochs = defaults.Epochs,
            BatchSize = defaults.BatchSize,
            LearningRate = defaults.LearningRate,
            Loss = defaults.Loss,
            CriticSteps = defaults.CriticSteps,
            GeneratorAverage = defaults.GeneratorAverage,
            Settings = defaults.Settings.ToDictionary(o => o.Name, o => o.Default),
        };
        int i = 0;
        if (args.Length > 0 && args[0] == "eval")
        {
            result = result with { Command = SampleCommand.Eval };
            i = 1;
        }

        for (; i < args.Length; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new FormatException($"{name} needs a value.");
                }

                return args[++i];
            }

            result = name switch
            {
                "--epochs" => result with { Epochs = Positive(name, Value()) },
                "--batch-size" => result with { BatchSize = AtMost(name, Positive(name, Value()), MaxBatchSize, "images") },
                "--device" => result with { Device = DeviceName(name, Value()) },
                "--data" => result with { Data = Value() },
                "--out" => result with { Out = Value() },
                "--seed" => result with { Seed = ulong.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new FormatException($"{name} takes a whole number of 0 or more.") },
                "--lr" => result with { LearningRate = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var lr) && lr > 0 && double.IsFinite(lr) ? lr : throw new FormatException($"{name} takes a positive number such as 0.0002.") },
                "--beta1" => result with { Beta1 = Beta(name, Value()) },
                "--beta2" => result with { Beta2 = Beta(name, Value()) },
                "--version" => result with { Version = true },
                "--threads" => result with { Threads = AtMost(name, Positive(name, Value()), Backend.MaxCpuThreads, "threads") },
                "--no-progress" => result with { Progress = false },
                "--no-graphs" => result with { Graphs = false },
                "--tf32" => result with { Tf32 = true },
                "--checkpoint-every" => result with { CheckpointEvery = NonNegative(name, Value()) },
                "--keep" => result with { Keep = Positive(name, Value()) },
                "--resume" => result with { Resume = Value() },
                "--metrics-every" => result with { MetricsEvery = NonNegative(name, Value()) },
                "--log-every" => result with { LogEvery = Positive(name, Value()) },
                "--export" => result with { ExportCount = AtMost(name, Positive(name, Value()), MaxExport, "images"), ExportPath = Value() },
                "--checkpoint" => result with { Checkpoint = Value() },
                "--samples" => result with { Samples = AtMost(name, Positive(name, Value()), MaxExport, "images") },
                "--critic-steps" => result with { CriticSteps = Positive(name, Value()) },
                "--label-smoothing" => result with { LabelSmoothing = float.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ls) && ls >= 0 && ls < 0.5f ? ls : throw new FormatException($"{name} takes a number in [0, 0.5) such as 0.1.") },
                "--ema" => result with
                {
                    GeneratorAverage = float.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ema) && ema >= 0 && ema < 1 ? ema : throw new FormatException($"{name} takes a decay in [0, 1) such as 0.999 (0: no average)."),
                    GeneratorAverageGiven = true,
                },
                "--d-lr" => result with { DiscriminatorLearningRate = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dlr) && dlr > 0 && double.IsFinite(dlr) ? dlr : throw new FormatException($"{name} takes a positive number such as 0.0004.") },
                "--decay-from" => result with { DecayFrom = NonNegative(name, Value()) },
                "--loss" when defaults.LossOption => result with { Loss = LossNames.TryGetValue(Value().ToLowerInvariant(), out var loss) ? loss : throw new FormatException($"{name} takes one of: {string.Join(", ", LossNames.Keys)}.") },
                "--help" or "-h" or "-?" => result with { Help = true },
                _ when defaults.Settings.FirstOrDefault(o => "--" + o.Name == name) is { } setting => result with
                {
                    Settings = new Dictionary<string, double>(result.Settings) { [setting.Name] = setting.Parse(name, Value()) },
                },
                _ => throw new FormatException($"Unknown option '{name}'."),
            };
        }

        if (!defaults.GanOptions && args.FirstOrDefault(a => a is "--critic-steps" or "--label-smoothing" or "--ema" or "--d-lr" or "--decay-from" or "--loss") is { } gan)
        {
            throw new FormatException($"{gan} is an option of the samples trained by GanStep (MnistGan, ConditionalGan, Dcgan, Wgan, WganGp); this sample's own step does not take it.");
        }

        if (result.DecayFrom is { } decayFrom && decayFrom >= result.Epochs)
        {
            throw new FormatException($"--decay-from {decayFrom} starts the learning rates' decay after the last epoch ({result.Epochs}); give an epoch below --epochs.");
        }

        if ((result.Beta1 ?? result.Beta2) is not null && defaults.Optimizer(defaults.LearningRate) is not AdamSettings)
        {
            throw new FormatException($"--beta1 and --beta2 set Adam's betas, and this sample trains with {defaults.Optimizer(defaults.LearningRate).Kind}.");
        }

        if (!defaults.Generates && result.ExportCount is not null)
        {
            throw new FormatException("--export writes generated images, and this sample's step generates none.");
        }

        if (result.Command == SampleCommand.Eval && (result.Resume is not null || result.ExportCount is not null))
        {
            throw new FormatException("eval takes --checkpoint, not --resume or --export.");
        }

        return result;
    }

    /// <summary>The most images --export writes and eval scores (generated at once: 314 MB of floats for MNIST).</summary>
    public const int MaxExport = 100_000;

    /// <summary>The largest batch the options accept; memory is checked against the model before anything is allocated.</summary>
    public const int MaxBatchSize = 1 << 20;

    private static DeviceChoice DeviceName(string name, string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => DeviceChoice.Auto,
        "cpu" => DeviceChoice.Cpu,
        "cuda" or "gpu" => DeviceChoice.Cuda,
        _ => throw new FormatException($"{name} takes auto, cpu or cuda, not '{text}'."),
    };

    private static double Beta(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double beta) && beta >= 0 && beta < 1
            ? beta
            : throw new FormatException($"{name} takes a number in [0, 1) such as 0.5, not '{text}'.");

    private static int AtMost(string name, int value, int maximum, string unit) =>
        value <= maximum ? value : throw new FormatException($"{name} takes at most {maximum:N0} {unit}, not {value:N0}.");

    private static int Positive(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new FormatException($"{name} takes a positive whole number, not '{text}'.");

    private static int NonNegative(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"{name} takes a whole number of 0 or more, not '{text}'.");
}

/// <summary>An option of one sample's own (BEGAN's --gamma): a number in [<paramref name="Minimum"/>, <paramref name="Maximum"/>].</summary>
/// <param name="Name">The option without its dashes.</param>
/// <param name="Description">One line for the usage text.</param>
/// <param name="Default">Its value when not given.</param>
/// <param name="Minimum">The smallest value allowed.</param>
/// <param name="Maximum">The largest value allowed.</param>
/// <param name="Whole">Whether only whole numbers are allowed (a size, a count of steps).</param>
internal sealed record SampleSetting(string Name, string Description, double Default, double Minimum, double Maximum, bool Whole = false)
{
    public double Parse(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= Minimum && value <= Maximum
            && (!Whole || value == Math.Floor(value))
            ? value
            : throw new FormatException($"{option} takes a {(Whole ? "whole " : "")}number from {Minimum.ToString(CultureInfo.InvariantCulture)} to {Maximum.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
}
