namespace GanDsl.Backends;

/// <summary>
/// Adam's hyper-parameters. The defaults are the GAN literature's (Radford et al. 2015): lr 2e-4,
/// betas 0.5 and 0.999. Held in double precision, like PyTorch's Python floats, so coefficients such
/// as 1 - beta2 are formed exactly before the kernels round them to float.
/// </summary>
public sealed record AdamSettings
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
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Decay of the first moment (default 0.5).</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Decay of the second moment (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Added to the denominator (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay as in AdamW (default 0).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Checks the ranges, naming <paramref name="owner"/> in the message.</summary>
    public void Validate(string owner)
    {
        if (!(LearningRate > 0) || !(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1) || !(Epsilon > 0) || !(WeightDecay >= 0) || !double.IsFinite(LearningRate))
        {
            throw new ArgumentException($"The {owner}'s Adam settings are out of range: {this} (need lr > 0, 0 <= betas < 1, eps > 0, weight decay >= 0).");
        }
    }
}
