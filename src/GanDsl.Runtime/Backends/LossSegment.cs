using System.ComponentModel;

namespace GanDsl.Backends;

/// <summary>
/// The tensors of one <see cref="Backend.Loss(LossKind, in LossOperands, in LossSegment)"/> launch, all (rows, cols) and
/// row-aligned: the prediction <c>x</c>; for the Gaussian losses a second prediction <c>v</c> (a log variance); the
/// target <c>t</c> (or none: each segment's constant); and the gradients wanted, each empty when not wanted.
/// </summary>
/// <param name="prediction">x: logits, outputs, reconstructions, means.</param>
/// <param name="predictionGradient">Where d loss / dx goes, or empty.</param>
/// <param name="target">t as a tensor, or empty for each segment's <see cref="LossSegment.Target"/>.</param>
/// <param name="targetGradient">Where d loss / dt goes (a target that is itself computed, e.g. BEGAN's G(z)), or empty.</param>
/// <param name="second">v, the log variance of the Gaussian losses, or empty.</param>
/// <param name="secondGradient">Where d loss / dv goes, or empty.</param>
/// <param name="accumulate">Add the gradients to what the gradient tensors hold instead of overwriting it.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct LossOperands(Tensor prediction, Tensor predictionGradient = default, Tensor target = default, Tensor targetGradient = default,
    Tensor second = default, Tensor secondGradient = default, bool accumulate = false)
{
    /// <summary>x.</summary>
    public Tensor Prediction { get; } = prediction;

    /// <summary>d loss / dx, or empty.</summary>
    public Tensor PredictionGradient { get; } = predictionGradient;

    /// <summary>t, or empty.</summary>
    public Tensor Target { get; } = target;

    /// <summary>d loss / dt, or empty.</summary>
    public Tensor TargetGradient { get; } = targetGradient;

    /// <summary>v, or empty.</summary>
    public Tensor Second { get; } = second;

    /// <summary>d loss / dv, or empty.</summary>
    public Tensor SecondGradient { get; } = secondGradient;

    /// <summary>Whether gradients are added rather than written.</summary>
    public bool Accumulate { get; } = accumulate;
}

/// <summary>
/// One run of consecutive rows of a loss launch: its constant target (when the operands have no target tensor), the
/// scale of its gradients, and where its value and score go. Two segments make one launch on a GPU (a discriminator's
/// fake and real rows, say).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct LossSegment
{
    /// <summary>Rows it covers.</summary>
    public int Rows { get; init; }

    /// <summary>The target of every element, when the operands have no target tensor.</summary>
    public float Target { get; init; }

    /// <summary>Factor of every gradient, e.g. weight / elements for a weighted mean.</summary>
    public float GradientScale { get; init; }

    /// <summary>Optional: one float read when the kernel runs that multiplies <see cref="GradientScale"/> (a weight kept on the device).</summary>
    public Tensor Weight { get; init; }

    /// <summary>Factor of the summed value written to <see cref="Sum"/> and <see cref="Value"/>, e.g. 1 / elements for a mean.</summary>
    public float ValueScale { get; init; }

    /// <summary>Optional: one float that the scaled value is added to (a statistic summed over steps).</summary>
    public Tensor Sum { get; init; }

    /// <summary>Optional: one float that the mean score (sigmoid of a logit, or the prediction) is added to.</summary>
    public Tensor Score { get; init; }

    /// <summary>Optional: one float set to the scaled value (a device scalar later kernels read).</summary>
    public Tensor Value { get; init; }
}
