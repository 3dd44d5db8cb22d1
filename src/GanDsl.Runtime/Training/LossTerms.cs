using GanDsl.Backends;

namespace GanDsl.Training;

/// <summary>The loss terms, and their targets, a <see cref="GanLoss"/> is made of.</summary>
internal sealed record LossTerms(LossKind Real, float RealTarget, LossKind Fake, float FakeTarget, LossKind Generator, float GeneratorTarget)
{
    /// <summary>The terms of <paramref name="loss"/>; <paramref name="realLabel"/> is 1 less any label smoothing.</summary>
    public static LossTerms For(GanLoss loss, float realLabel) => loss switch
    {
        GanLoss.Minimax => new(LossKind.BinaryCrossEntropy, realLabel, LossKind.BinaryCrossEntropy, 0f, LossKind.LogOneMinusSigmoid, 0f),
        GanLoss.NonSaturating => new(LossKind.BinaryCrossEntropy, realLabel, LossKind.BinaryCrossEntropy, 0f, LossKind.BinaryCrossEntropy, 1f),
        GanLoss.LeastSquares => new(LossKind.HalfSquaredError, realLabel, LossKind.HalfSquaredError, 0f, LossKind.HalfSquaredError, 1f),
        GanLoss.Wasserstein or GanLoss.WassersteinGradientPenalty => new(LossKind.Linear, -1f, LossKind.Linear, 1f, LossKind.Linear, -1f),
        GanLoss.Hinge => new(LossKind.Hinge, -1f, LossKind.Hinge, 1f, LossKind.Linear, -1f),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown GAN loss."),
    };
}
