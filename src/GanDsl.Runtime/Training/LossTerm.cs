using GanDsl.Backends;

namespace GanDsl;

/// <summary>How a loss term reduces its elements to one number.</summary>
public enum LossReduction
{
    /// <summary>The mean over every element (PyTorch's <c>reduction='mean'</c>, Keras' default): images, patch grids and heads alike.</summary>
    Mean,

    /// <summary>Summed over each row's outputs, then the mean over rows (a VAE's KL term, summed over latent dimensions).</summary>
    SumPerRow,

    /// <summary>The sum over every element.</summary>
    Sum,
}

/// <summary>
/// One term of an objective: a loss function (<see cref="LossKind"/>, or softmax cross-entropy), a weight and a
/// reduction. Applied by a step with <see cref="StepContext.Loss(LossTerm, Tensor, Tensor, LossTarget, Statistic?, Statistic?, DeviceScalar?, DeviceScalar?, Tensor, bool)"/>
/// to any number of outputs per row (an image, a grid of patch logits, a 12-wide head), it writes its gradient, times
/// its weight, where the step says. Its math is written once (the generator's LossMath) for every backend.
/// </summary>
/// <remarks>A value: <c>LossTerm.L1.Times(-1f)</c> inside a step allocates nothing.</remarks>
public readonly record struct LossTerm
{
    private LossTerm(LossKind kind, bool softmax)
    {
        Kind = kind;
        IsSoftmax = softmax;
    }

    /// <summary>The elementwise loss function (meaningless for softmax cross-entropy).</summary>
    public LossKind Kind { get; }

    /// <summary>Whether this is softmax cross-entropy over each row with integer targets.</summary>
    public bool IsSoftmax { get; }

    /// <summary>The factor on the term's gradient (default 1); negative to maximise, as BEGAN's <c>-k L(G(z))</c>.</summary>
    public float Weight { get; init; } = 1f;

    /// <summary>How the elements become one number (default <see cref="LossReduction.Mean"/>).</summary>
    public LossReduction Reduction { get; init; } = LossReduction.Mean;

    /// <summary>Binary cross-entropy on logits, with a target tensor or a constant (PyTorch's <c>BCEWithLogitsLoss</c>).</summary>
    public static LossTerm BinaryCrossEntropy { get; } = new(LossKind.BinaryCrossEntropy, false);

    /// <summary>Binary cross-entropy on probabilities (a sigmoid output), as Keras' <c>binary_crossentropy</c>.</summary>
    public static LossTerm BinaryCrossEntropyOnProbability { get; } = new(LossKind.BinaryCrossEntropyOnProbability, false);

    /// <summary>The original minimax generator loss, log(1 - sigmoid(x)); no target.</summary>
    public static LossTerm LogOneMinusSigmoid { get; } = new(LossKind.LogOneMinusSigmoid, false);

    /// <summary>Half the squared error, LSGAN's objective.</summary>
    public static LossTerm HalfSquaredError { get; } = new(LossKind.HalfSquaredError, false);

    /// <summary>The squared error (PyTorch's <c>MSELoss</c>).</summary>
    public static LossTerm MeanSquaredError { get; } = new(LossKind.SquaredError, false);

    /// <summary>The absolute error (PyTorch's <c>L1Loss</c>).</summary>
    public static LossTerm L1 { get; } = new(LossKind.AbsoluteError, false);

    /// <summary>The Wasserstein objective's linear term, t x with t = +1 or -1.</summary>
    public static LossTerm Linear { get; } = new(LossKind.Linear, false);

    /// <summary>The hinge, max(0, 1 + t x) with t = +1 (fake) or -1 (real).</summary>
    public static LossTerm Hinge { get; } = new(LossKind.Hinge, false);

    /// <summary>The Gaussian negative log-likelihood of a target under a predicted mean and log variance.</summary>
    public static LossTerm GaussianNegativeLogLikelihood { get; } = new(LossKind.GaussianNegativeLogLikelihood, false);

    /// <summary>The KL divergence of N(mean, exp(log variance)) from N(0, I), summed over each row's dimensions by default.</summary>
    public static LossTerm KlDivergenceToStandardNormal { get; } = new(LossKind.KlDivergenceToStandardNormal, false) { Reduction = LossReduction.SumPerRow };

    /// <summary>Softmax cross-entropy over each row's logits with an integer class per row (PyTorch's <c>CrossEntropyLoss</c>); its score is the accuracy.</summary>
    public static LossTerm SoftmaxCrossEntropy { get; } = new(default, true);

    /// <summary>This term with another weight.</summary>
    public LossTerm Times(float weight) => this with { Weight = Weight * weight };

    /// <summary>The factor of the summed value that gives the reduced one, for <paramref name="rows"/> rows of <paramref name="cols"/> outputs.</summary>
    public float ReductionScale(int rows, int cols) => Reduction switch
    {
        LossReduction.Mean => 1f / ((float)rows * (IsSoftmax ? 1 : cols)),
        LossReduction.SumPerRow => 1f / rows,
        _ => 1f,
    };

    /// <inheritdoc />
    public override string ToString() =>
        (IsSoftmax ? "SoftmaxCrossEntropy" : Kind.ToString()) + (Weight == 1f ? "" : $" x {Weight}") + (Reduction == LossReduction.Mean ? "" : $" ({Reduction})");
}

/// <summary>What a loss term compares its prediction with: a tensor of the prediction's shape, or one constant for every element.</summary>
public readonly struct LossTarget
{
    private LossTarget(Tensor tensor, float constant)
    {
        Tensor = tensor;
        Constant = constant;
    }

    /// <summary>The target tensor, or empty for <see cref="Constant"/>.</summary>
    public Tensor Tensor { get; }

    /// <summary>The constant target, when there is no tensor.</summary>
    public float Constant { get; }

    /// <summary>Every element's target is <paramref name="constant"/> (1 for real, 0 for fake, 0.9 smoothed).</summary>
    public static implicit operator LossTarget(float constant) => new(default, constant);

    /// <summary>Element i's target is element i of <paramref name="tensor"/>.</summary>
    public static implicit operator LossTarget(Tensor tensor) => new(tensor, 0f);
}
