namespace GanDsl.Backends;

/// <summary>
/// The loss terms GAN objectives are built from, each on a discriminator output <c>l</c> and a
/// constant target <c>t</c> (see <see cref="Backend.LogitLoss"/>).
/// </summary>
public enum LossTerm
{
    /// <summary>Binary cross-entropy on a logit: <c>softplus(l) - t l</c>, gradient <c>sigmoid(l) - t</c>.</summary>
    BinaryCrossEntropy,

    /// <summary>The original minimax generator loss <c>log(1 - sigmoid(l)) = -softplus(l)</c>, gradient <c>-sigmoid(l)</c>.</summary>
    LogOneMinusSigmoid,

    /// <summary>Least squares (LSGAN): <c>(l - t)^2 / 2</c>, gradient <c>l - t</c>.</summary>
    Squared,

    /// <summary>Wasserstein: <c>t l</c> with t = +1 or -1, gradient <c>t</c>.</summary>
    Linear,

    /// <summary>Hinge: <c>max(0, 1 + t l)</c> with t = +1 (fake) or -1 (real), gradient <c>t</c> where positive.</summary>
    Hinge,
}
