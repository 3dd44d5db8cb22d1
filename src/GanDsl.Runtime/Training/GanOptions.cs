using GanDsl.Backends;

namespace GanDsl;

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

/// <summary>How <see cref="GanTrainer"/> trains: the GAN step's settings, and the loop's (<see cref="TrainerOptions"/>). The defaults are the GAN literature's.</summary>
public sealed record GanOptions : TrainerOptions
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

    /// <summary>
    /// When above 0, the decay of an exponential moving average of the generator's weights (Yazıcı et al. 2019; 0.999
    /// is usual) that draws the sample grids and every image the step gives out (<see cref="GeneratorStep.KeepAverage"/>);
    /// default 0, none.
    /// </summary>
    public float GeneratorAverage { get; init; }

    /// <summary>
    /// How both networks' learning rates change over the epochs (default <see cref="LearningRateSchedule.Constant"/>);
    /// <see cref="LearningRateSchedule.LinearDecay"/> lets them fall to zero over the last epochs.
    /// </summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Images in the sample grid (default 64: 8 x 8).</summary>
    public int SampleCount { get; init; } = 64;

    /// <summary>Images per row of the sample grid (default 8).</summary>
    public int SampleColumns { get; init; } = 8;

    /// <summary>Checks the options, naming the first bad one.</summary>
    public override void Validate()
    {
        base.Validate();
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

        if (!(GeneratorAverage >= 0f && GeneratorAverage < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(GeneratorAverage), GeneratorAverage, "The generator's average decays by a number in [0, 1) (0: none; 0.999 is usual).");
        }

        if (SampleCount <= 0 || SampleColumns <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SampleCount), "The sample grid needs at least one image and one column.");
        }

        ArgumentNullException.ThrowIfNull(GeneratorOptimizer);
        ArgumentNullException.ThrowIfNull(DiscriminatorOptimizer);
        ArgumentNullException.ThrowIfNull(Schedule);
        GeneratorOptimizer.Validate("generator");
        DiscriminatorOptimizer.Validate("discriminator");
    }
}
