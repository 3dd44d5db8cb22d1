using System.Globalization;
using GanDsl.Backends;

namespace GanDsl;

/// <summary>An optimizer's hyper-parameters; <see cref="AdamSettings"/> and <see cref="RmsPropSettings"/> are the kinds.</summary>
public abstract record OptimizerSettings
{
    /// <summary>Step size.</summary>
    public abstract double LearningRate { get; init; }

    /// <summary>Short name, for checkpoints and logs (<c>adam</c>, <c>rmsprop</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>Checks the ranges, naming <paramref name="owner"/> in the message.</summary>
    public abstract void Validate(string owner);

    /// <summary>One phrase for logs, e.g. <c>Adam lr 0.0002, betas 0.5/0.999</c>.</summary>
    public abstract string Describe();
}

/// <summary>
/// Adam's hyper-parameters. The defaults are the GAN literature's (Radford et al. 2015): lr 2e-4,
/// betas 0.5 and 0.999. Held in double precision, like PyTorch's Python floats, so coefficients such
/// as 1 - beta2 are formed exactly before the kernels round them to float.
/// </summary>
public sealed record AdamSettings : OptimizerSettings
{
    /// <summary>Adam with the defaults.</summary>
    public AdamSettings()
    {
    }

    /// <summary>Adam with the given learning rate and betas.</summary>
    public AdamSettings(double learningRate, double beta1 = 0.5, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>Step size (default 2e-4).</summary>
    public override double LearningRate { get; init; } = 2e-4;

    /// <summary>Decay of the first moment (default 0.5).</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Decay of the second moment (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Added to the denominator (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay as in AdamW (default 0).</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc />
    public override string Kind => "adam";

    /// <inheritdoc />
    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Adam lr {LearningRate}, betas {Beta1}/{Beta2}") + (WeightDecay != 0 ? string.Create(CultureInfo.InvariantCulture, $", weight decay {WeightDecay}") : "");

    /// <inheritdoc />
    public override void Validate(string owner)
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate) || !(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1) || !(Epsilon > 0) || !(WeightDecay >= 0))
        {
            throw new ArgumentException($"The {owner}'s Adam settings are out of range: {this} (need lr > 0, 0 <= betas < 1, eps > 0, weight decay >= 0).");
        }
    }
}

/// <summary>
/// RMSprop's hyper-parameters, PyTorch's form: <c>v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)</c>.
/// The WGAN paper trains with it at lr 5e-5 (Arjovsky et al. 2017).
/// </summary>
public sealed record RmsPropSettings : OptimizerSettings
{
    /// <summary>RMSprop with the defaults.</summary>
    public RmsPropSettings()
    {
    }

    /// <summary>RMSprop with the given learning rate and smoothing.</summary>
    public RmsPropSettings(double learningRate, double alpha = 0.99, double epsilon = 1e-8)
    {
        LearningRate = learningRate;
        Alpha = alpha;
        Epsilon = epsilon;
    }

    /// <summary>Step size (default 5e-5, the WGAN paper's).</summary>
    public override double LearningRate { get; init; } = 5e-5;

    /// <summary>Decay of the squared-gradient average (default 0.99, PyTorch's).</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>Added to the denominator (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <inheritdoc />
    public override string Kind => "rmsprop";

    /// <inheritdoc />
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"RMSprop lr {LearningRate}, alpha {Alpha}");

    /// <inheritdoc />
    public override void Validate(string owner)
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate) || !(Alpha >= 0 && Alpha < 1) || !(Epsilon > 0))
        {
            throw new ArgumentException($"The {owner}'s RMSprop settings are out of range: {this} (need lr > 0, 0 <= alpha < 1, eps > 0).");
        }
    }
}
