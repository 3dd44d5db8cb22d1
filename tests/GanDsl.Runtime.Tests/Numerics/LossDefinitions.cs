using GanDsl.Backends;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// Each <see cref="LossKind"/> as its paper or library writes it, in double (independent of the generated kernels),
/// and operands in the range where it is smooth, for finite differences and CPU-GPU parity.
/// </summary>
internal static class LossDefinitions
{
    /// <summary>The loss of one element: prediction x, second prediction v (log variance), target t.</summary>
    public static double Value(LossKind kind, double x, double v, double t) => kind switch
    {
        // Goodfellow et al.: -t log D - (1 - t) log(1 - D), D the sigmoid of the logit.
        LossKind.BinaryCrossEntropy => -(t * Math.Log(Sigmoid(x)) + (1 - t) * Math.Log(1 - Sigmoid(x))),
        LossKind.BinaryCrossEntropyOnProbability => -(t * Math.Log(x) + (1 - t) * Math.Log(1 - x)),
        LossKind.LogOneMinusSigmoid => Math.Log(1 - Sigmoid(x)),
        LossKind.HalfSquaredError => 0.5 * (x - t) * (x - t),
        LossKind.SquaredError => (x - t) * (x - t),
        LossKind.AbsoluteError => Math.Abs(x - t),
        LossKind.Linear => t * x,
        LossKind.Hinge => Math.Max(0, 1 + t * x),

        // -log N(t; x, e^v) without the constant log(2 pi) / 2.
        LossKind.GaussianNegativeLogLikelihood => 0.5 * v + 0.5 * (t - x) * (t - x) / Math.Exp(v),

        // Kingma and Welling, appendix B: -KL = (1 + log sigma^2 - mu^2 - sigma^2) / 2.
        LossKind.KlDivergenceToStandardNormal => -0.5 * (1 + v - x * x - Math.Exp(v)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>What the loss reports as its score for one element: the probability for the logit losses, else x.</summary>
    public static double Score(LossKind kind, double x) =>
        kind is LossKind.BinaryCrossEntropy or LossKind.LogOneMinusSigmoid ? Sigmoid(x) : x;

    public static bool UsesTarget(LossKind kind) => kind is not (LossKind.LogOneMinusSigmoid or LossKind.KlDivergenceToStandardNormal);

    public static bool UsesSecond(LossKind kind) => kind is LossKind.GaussianNegativeLogLikelihood or LossKind.KlDivergenceToStandardNormal;

    /// <summary>
    /// Seeded operands of <paramref name="count"/> elements where <paramref name="kind"/> is smooth: probabilities inside
    /// (0, 1) for the cross-entropy on probabilities, x and t apart for the absolute error, off the hinge's kink.
    /// </summary>
    public static (float[] X, float[] V, float[] T) Operands(LossKind kind, int count, int seed)
    {
        var random = new Random(seed);
        float Uniform(double low, double high) => (float)(low + (high - low) * random.NextDouble());
        var x = new float[count];
        var v = new float[count];
        var t = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = Uniform(-1.5, 1.5);
            switch (kind)
            {
                case LossKind.BinaryCrossEntropyOnProbability:
                    x[i] = Uniform(0.05, 0.95);
                    t[i] = Uniform(0, 1);
                    break;
                case LossKind.BinaryCrossEntropy:
                    x[i] = Uniform(-6, 6);
                    t[i] = Uniform(0, 1);
                    break;
                case LossKind.AbsoluteError:
                    t[i] = Uniform(-1, 1);
                    x[i] = t[i] + (random.Next(2) == 0 ? -1 : 1) * Uniform(0.01, 1);
                    break;
                case LossKind.Hinge:
                    t[i] = random.Next(2) == 0 ? -1f : 1f;
                    x[i] = Uniform(-3, 3);
                    if (Math.Abs(1 + t[i] * x[i]) < 0.01)
                    {
                        x[i] += 0.1f;
                    }

                    break;
                default:
                    x[i] = Uniform(-3, 3);
                    t[i] = Uniform(-2, 2);
                    break;
            }
        }

        return (x, v, t);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
