namespace GanDsl.Backends;

/// <summary>
/// The loss terms GAN objectives are built from, each on a discriminator output <c>l</c> and a
/// constant target <c>t</c> (see <see cref="Backend.LogitLoss(Tensor, LossTerm, float, float, Tensor, Tensor)"/>).
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

/// <summary>
/// One loss term over a run of consecutive rows of a discriminator's outputs, for the two-term
/// <see cref="Backend.LogitLoss(Tensor, LossSegment, LossSegment, float, Tensor)"/>.
/// </summary>
/// <param name="Rows">How many rows the term covers.</param>
/// <param name="Term">The loss term.</param>
/// <param name="Target">Its constant target.</param>
/// <param name="Stats">Two or more floats: the sum of its losses is added to the first, the sum of its scores to the second.</param>
public readonly record struct LossSegment(int Rows, LossTerm Term, float Target, Tensor Stats);
