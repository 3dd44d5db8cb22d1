using System.Globalization;

namespace MnistGan;

/// <summary>The sample's options, parsed from <c>--name value</c> pairs with clear errors.</summary>
internal sealed record CommandLine
{
    public const string Usage = """
        MnistGan: trains the seed MLP GAN (generator 100-256-784, discriminator 784-100-50-1) on MNIST.

        Usage: dotnet run -c Release --project samples/MnistGan -- [options]

          --epochs N       passes over the 60,000 training images         (default 30)
          --batch-size N   images per batch                               (default 64)
          --device D       auto, cpu or cuda                              (default auto)
          --data DIR       MNIST folder; downloaded there when missing    (default $GANDSL_DATA, else ~/.cache/gandsl/mnist)
          --out DIR        where sample grids are written                 (default out/mnist-gan)
          --seed N         seed of initialisation, noise and shuffling    (default 0)
          --lr X           Adam learning rate of both networks            (default 0.0002)
          --threads N      CPU threads                                    (default all cores)
          --no-progress    no progress bar, one line per epoch
          --help           this text
        """;

    public int Epochs { get; init; } = 30;

    public int BatchSize { get; init; } = 64;

    public string Device { get; init; } = "auto";

    public string? Data { get; init; }

    public string Out { get; init; } = Path.Combine("out", "mnist-gan");

    public ulong Seed { get; init; }

    public float LearningRate { get; init; } = 2e-4f;

    public int? Threads { get; init; }

    public bool Progress { get; init; } = true;

    public bool Help { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="FormatException"/> naming the bad option.</summary>
    public static CommandLine Parse(string[] args)
    {
        var result = new CommandLine();
        for (int i = 0; i < args.Length; i++)
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
                "--batch-size" => result with { BatchSize = Positive(name, Value()) },
                "--device" => result with { Device = Value() },
                "--data" => result with { Data = Value() },
                "--out" => result with { Out = Value() },
                "--seed" => result with { Seed = ulong.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new FormatException($"{name} takes a whole number of 0 or more.") },
                "--lr" => result with { LearningRate = float.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var lr) && lr > 0 && float.IsFinite(lr) ? lr : throw new FormatException($"{name} takes a positive number such as 0.0002.") },
                "--threads" => result with { Threads = Positive(name, Value()) },
                "--no-progress" => result with { Progress = false },
                "--help" or "-h" or "-?" => result with { Help = true },
                _ => throw new FormatException($"Unknown option '{name}'."),
            };
        }

        return result;
    }

    private static int Positive(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new FormatException($"{name} takes a positive whole number, not '{text}'.");
}
