using GanDsl.Backends;

namespace GanDsl.Training;

/// <summary>The GAN objective.</summary>
public enum GanLoss
{
    /// <summary>
    /// Goodfellow et al.'s non-saturating loss with binary cross-entropy on logits: the discriminator
    /// minimises BCE(D(x), 1) + BCE(D(G(z)), 0); the generator minimises BCE(D(G(z)), 1).
    /// </summary>
    NonSaturating,
}

/// <summary>How <see cref="GanTrainer"/> trains. The defaults are the GAN literature's.</summary>
public sealed record GanOptions
{
    /// <summary>Images per batch for each network (default 64). The discriminator sees real and fake together, twice this many rows.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The objective (default non-saturating BCE).</summary>
    public GanLoss Loss { get; init; } = GanLoss.NonSaturating;

    /// <summary>The generator's Adam settings (default lr 2e-4, betas 0.5 and 0.999).</summary>
    public AdamSettings GeneratorOptimizer { get; init; } = new();

    /// <summary>The discriminator's Adam settings (default lr 2e-4, betas 0.5 and 0.999).</summary>
    public AdamSettings DiscriminatorOptimizer { get; init; } = new();

    /// <summary>Seed of noise, shuffling and the fixed sample noise (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>Where sample grids are written (<c>epoch_001.png</c>, ...); null writes none.</summary>
    public string? SampleDirectory { get; init; }

    /// <summary>Images in the sample grid (default 64: 8 x 8).</summary>
    public int SampleCount { get; init; } = 64;

    /// <summary>Images per row of the sample grid (default 8).</summary>
    public int SampleColumns { get; init; } = 8;

    /// <summary>
    /// Where checkpoints go (<c>checkpoint_e003_s0002811.safetensors</c>, ...): after every
    /// <see cref="CheckpointEvery"/> epochs, at the end, and when training is cancelled. Null writes none.
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Epochs between checkpoints (default 1).</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Checkpoints kept in <see cref="CheckpointDirectory"/>; older ones are deleted (default 3).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Where the training curves go: <c>training.csv</c> (a row every <see cref="LogEvery"/> steps) and <c>training.png</c> (every epoch). Null writes neither.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Steps between rows of the training log (default 100).</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Where progress and per-epoch lines go (default: none).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Show a progress bar within each epoch when <see cref="Log"/> is an interactive console (default true).</summary>
    public bool ProgressBar { get; init; } = true;

    /// <summary>Checks the options, naming the first bad one.</summary>
    public void Validate()
    {
        if (BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be positive.");
        }

        if (CheckpointEvery < 0 || KeepCheckpoints <= 0 || LogEvery <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), "CheckpointEvery must be 0 or more, KeepCheckpoints and LogEvery positive.");
        }

        if (SampleCount <= 0 || SampleColumns <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SampleCount), "The sample grid needs at least one image and one column.");
        }

        ArgumentNullException.ThrowIfNull(GeneratorOptimizer);
        ArgumentNullException.ThrowIfNull(DiscriminatorOptimizer);
        GeneratorOptimizer.Validate("generator");
        DiscriminatorOptimizer.Validate("discriminator");
    }
}
