using GanDsl.Backends;

namespace GanDsl.Training;

/// <summary>The loss terms, and their targets, a <see cref="GanLoss"/> is made of.</summary>
internal sealed record LossTerms(LossTerm Real, float RealTarget, LossTerm Fake, float FakeTarget, LossTerm Generator, float GeneratorTarget)
{
    /// <summary>The terms of <paramref name="loss"/>; <paramref name="realLabel"/> is 1 less any label smoothing.</summary>
    public static LossTerms For(GanLoss loss, float realLabel) => loss switch
    {
        GanLoss.Minimax => new(LossTerm.BinaryCrossEntropy, realLabel, LossTerm.BinaryCrossEntropy, 0f, LossTerm.LogOneMinusSigmoid, 0f),
        GanLoss.NonSaturating => new(LossTerm.BinaryCrossEntropy, realLabel, LossTerm.BinaryCrossEntropy, 0f, LossTerm.BinaryCrossEntropy, 1f),
        GanLoss.LeastSquares => new(LossTerm.Squared, realLabel, LossTerm.Squared, 0f, LossTerm.Squared, 1f),
        GanLoss.Wasserstein or GanLoss.WassersteinGradientPenalty => new(LossTerm.Linear, -1f, LossTerm.Linear, 1f, LossTerm.Linear, -1f),
        GanLoss.Hinge => new(LossTerm.Hinge, -1f, LossTerm.Hinge, 1f, LossTerm.Linear, -1f),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown GAN loss."),
    };
}
