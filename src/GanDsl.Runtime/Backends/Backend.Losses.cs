using System.ComponentModel;
using GanDsl.Backends;

namespace GanDsl;

public abstract partial class Backend
{
    /// <summary>
    /// An elementwise loss and its gradients over one segment of rows; see
    /// <see cref="Loss(LossKind, in LossOperands, in LossSegment, in LossSegment)"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Loss(LossKind kind, in LossOperands operands, in LossSegment segment) => Loss(kind, operands, segment, default);

    /// <summary>
    /// An elementwise loss (<see cref="LossKind"/>: its value, gradients and score, element by element) over the rows of
    /// <paramref name="operands"/>, split into <paramref name="first"/> and the <paramref name="second"/> segment after it
    /// (0 rows for none). Each segment scales its gradients and writes its value and mean score where it says, so a
    /// step never waits for them. One launch on a GPU.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
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
