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

public abstract partial class Backend
{
    /// <summary>
    /// An elementwise loss and its gradients over one segment of rows; see
    /// <see cref="Loss(LossKind, in LossOperands, in LossSegment, in LossSegment)"/>.
    /// </summary>
    public void Loss(LossKind kind, in LossOperands operands, in LossSegment segment) => Loss(kind, operands, segment, default);

    /// <summary>
    /// An elementwise loss (<see cref="LossKind"/>: its value, gradients and score, element by element) over the rows of
    /// <paramref name="operands"/>, split into <paramref name="first"/> and the <paramref name="second"/> segment after it
    /// (0 rows for none). Each segment scales its gradients and writes its value and mean score where it says, so a
    /// step never waits for them. One launch on a GPU.
    /// </summary>
    public void Loss(LossKind kind, in LossOperands operands, in LossSegment first, in LossSegment second)
    {
        var x = operands.Prediction;
        RequireOwned(x, "operands.Prediction");
        bool usesSecond = LossKernels.UsesSecond(kind), usesTarget = LossKernels.UsesTarget(kind);
        RequireOperand(x, operands.PredictionGradient, true, kind, "operands.PredictionGradient");
        RequireOperand(x, operands.Second, usesSecond, kind, "operands.Second");
        RequireOperand(x, operands.SecondGradient, usesSecond, kind, "operands.SecondGradient");
        RequireOperand(x, operands.Target, usesTarget, kind, "operands.Target");
        RequireOperand(x, operands.TargetGradient, usesTarget, kind, "operands.TargetGradient");
        if (usesSecond && operands.Second.IsEmpty)
        {
            throw new ArgumentException($"{kind} needs the second prediction (a log variance) as operands.Second.", nameof(operands));
        }

        if (first.Rows < 0 || second.Rows < 0 || first.Rows + second.Rows != x.Rows)
        {
            throw new ArgumentException($"The segments' rows ({first.Rows} and {second.Rows}) must add up to the prediction's {x.Rows}.", nameof(first));
        }

        RequireSegment(first, nameof(first));
        RequireSegment(second, nameof(second));
        if (x.Length > 0)
        {
            LossCore(kind, operands, first, second);
        }
    }

    /// <summary>See <see cref="Loss(LossKind, in LossOperands, in LossSegment, in LossSegment)"/>: the arguments are checked.</summary>
    protected abstract void LossCore(LossKind kind, in LossOperands operands, in LossSegment first, in LossSegment second);

    // An operand or gradient tensor: empty, or shaped like the prediction, and only where the loss reads it.
    private void RequireOperand(Tensor prediction, Tensor operand, bool used, LossKind kind, string name)
    {
        if (operand.IsEmpty)
        {
            return;
        }

        if (!used)
        {
            throw new ArgumentException($"{kind} does not take {name}.", name);
        }

        RequireOwned(operand, name);
        if (operand.Rows != prediction.Rows || operand.Cols != prediction.Cols)
        {
            throw new ArgumentException($"{name} is {operand}, but the prediction is {prediction}: loss operands must have one shape.", name);
        }
    }

    private void RequireSegment(in LossSegment segment, string name)
    {
        RequireOwnedIfAny(segment.Weight, name, "Weight");
        RequireOwnedIfAny(segment.Sum, name, "Sum");
        RequireOwnedIfAny(segment.Score, name, "Score");
        RequireOwnedIfAny(segment.Value, name, "Value");

        if (!float.IsFinite(segment.GradientScale) || !float.IsFinite(segment.ValueScale) || !float.IsFinite(segment.Target))
        {
            throw new ArgumentException($"The {name} segment's target, gradient scale and value scale must be finite numbers.", name);
        }
    }

    // The name is made only for the error: a check that passes allocates nothing.
    private void RequireOwnedIfAny(Tensor tensor, string segment, string what)
    {
        if (!tensor.IsEmpty && !ReferenceEquals(tensor.Buffer.Backend, this))
        {
            RequireOwned(tensor, $"{segment}.{what}");
        }
    }
}
