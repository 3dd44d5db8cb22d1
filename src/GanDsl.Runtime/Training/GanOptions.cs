using GanDsl.Backends;

namespace GanDsl.Training;

/// <summary>The GAN objective: what the discriminator (or critic) and the generator minimise.</summary>
public enum GanLoss
{
    /// <summary>
    /// Goodfellow et al. 2014 as published: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0), G minimises
    /// log(1 - D(G(z))). Its generator gradient vanishes early in training; <see cref="NonSaturating"/> is the usual fix.
    /// </summary>
    Minimax,

    /// <summary>The non-saturating loss (Goodfellow et al. 2014): G minimises BCE(D(G(z)), 1) instead. The default.</summary>
    NonSaturating,

    /// <summary>LSGAN (Mao et al. 2017): D minimises (D(x) - 1)^2 / 2 + D(G(z))^2 / 2, G minimises (D(G(z)) - 1)^2 / 2, on the raw output.</summary>
    LeastSquares,

    /// <summary>WGAN (Arjovsky et al. 2017): the critic minimises D(G(z)) - D(x), G minimises -D(G(z)); the critic's weights are clipped to ±<see cref="GanOptions.WeightClip"/>.</summary>
    Wasserstein,

    /// <summary>
    /// WGAN-GP (Gulrajani et al. 2017): the Wasserstein loss plus <see cref="GanOptions.GradientPenaltyWeight"/> times
    /// (|grad D(x^)| - 1)^2 at random interpolates x^ of real and generated images. The critic needs <see cref="GradientPenaltyAttribute"/>.
    /// </summary>
    WassersteinGradientPenalty,

    /// <summary>Hinge (Lim and Ye 2017, Miyato et al. 2018): D minimises max(0, 1 - D(x)) + max(0, 1 + D(G(z))), G minimises -D(G(z)).</summary>
    Hinge,
}

/// <summary>How <see cref="GanTrainer"/> trains. The defaults are the GAN literature's.</summary>
public sealed record GanOptions
{
    /// <summary>Images per batch for each network (default 64). The discriminator sees real and fake together, twice this many rows.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The objective (default non-saturating BCE).</summary>
    public GanLoss Loss { get; init; } = GanLoss.NonSaturating;

    /// <summary>The generator's optimizer (default Adam, lr 2e-4, betas 0.5 and 0.999).</summary>
    public OptimizerSettings GeneratorOptimizer { get; init; } = new AdamSettings();

    /// <summary>The discriminator's optimizer (default Adam, lr 2e-4, betas 0.5 and 0.999).</summary>
    public OptimizerSettings DiscriminatorOptimizer { get; init; } = new AdamSettings();

    /// <summary>Discriminator (critic) updates per generator update, n_critic (default 1; WGAN uses 5).</summary>
    public int CriticSteps { get; init; } = 1;

    /// <summary>WGAN's clipping bound for every critic parameter (default 0.01).</summary>
    public float WeightClip { get; init; } = 0.01f;

    /// <summary>WGAN-GP's penalty weight, lambda (default 10).</summary>
    public float GradientPenaltyWeight { get; init; } = 10f;

    /// <summary>One-sided label smoothing (Salimans et al. 2016): real images get target 1 - this (default 0; 0.1 is usual).</summary>
    public float LabelSmoothing { get; init; }

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

    /// <summary>
    /// On a backend that can (CUDA), record the training step once as a graph and replay it, so a step
    /// costs one launch instead of dozens (default on). Off runs every call directly, for comparison.
    /// </summary>
    public bool CaptureSteps { get; init; } = true;

    /// <summary>Checks the options, naming the first bad one.</summary>
    public void Validate()
    {
        if (BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be positive.");
        }

        if (CriticSteps <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CriticSteps), CriticSteps, "The critic takes at least one step per generator step.");
        }

        if (!(WeightClip > 0) || !(GradientPenaltyWeight >= 0) || !(LabelSmoothing >= 0 && LabelSmoothing < 0.5f))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightClip), "The weight clip must be positive, the penalty weight not negative, the label smoothing in [0, 0.5).");
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
