using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// A float a training step keeps on the device across steps or between kernels of one step: BEGAN's equilibrium
/// term k, a loss written by one kernel and read by the next, a loss weight that follows a schedule. Kernels inside
/// the step read and update it (a <see cref="ScalarProgram"/>, a loss's value output, a loss weight), so a replayed
/// step sees its current value; checkpoints hold it. In expressions it stands for its value:
/// <c>ScalarExpr.Clamp(k + 0.001f * (0.5f * real - fake), 0f, 1f)</c>.
/// </summary>
public sealed class DeviceScalar
{
    internal DeviceScalar(string name, Tensor tensor, float initial, bool checkpointed)
    {
        Name = name;
        Tensor = tensor;
        Initial = initial;
        Checkpointed = checkpointed;
    }

    /// <summary>Its name in checkpoints and messages.</summary>
    public string Name { get; }

    /// <summary>The (1, 1) device tensor holding it.</summary>
    public Tensor Tensor { get; }

    /// <summary>The value it starts with.</summary>
    public float Initial { get; }

    /// <summary>Whether checkpoints hold it (a value kept across steps), or not (one recomputed in every step).</summary>
    public bool Checkpointed { get; }

    /// <summary>Its current value; waits for the device.</summary>
    public float Read()
    {
        Span<float> value = stackalloc float[1];
        Tensor.Buffer.Backend.Download(Tensor, value);
        return value[0];
    }

    /// <summary>Sets it, in order with the queued work (not inside a captured step).</summary>
    public void Set(float value)
    {
        if (Tensor.Buffer.Backend.IsCapturing)
        {
            throw new InvalidOperationException($"The device scalar {Name} cannot be set from the host inside a captured step; assign it with a ScalarProgram.");
        }

        Tensor.Buffer.Backend.Upload([value], Tensor);
    }

    /// <summary>Its value where a kernel reads it.</summary>
    public static implicit operator ScalarExpr(DeviceScalar scalar)
    {
        ArgumentNullException.ThrowIfNull(scalar);
        return ScalarExpr.Read(scalar.Tensor);
    }

    /// <summary>The sum.</summary>
    public static ScalarExpr operator +(DeviceScalar a, DeviceScalar b) => (ScalarExpr)a + b;

    /// <summary>The sum.</summary>
    public static ScalarExpr operator +(DeviceScalar a, ScalarExpr b) => (ScalarExpr)a + b;

    /// <summary>The sum.</summary>
    public static ScalarExpr operator +(ScalarExpr a, DeviceScalar b) => a + (ScalarExpr)b;

    /// <summary>The difference.</summary>
    public static ScalarExpr operator -(DeviceScalar a, DeviceScalar b) => (ScalarExpr)a - b;

    /// <summary>The difference.</summary>
    public static ScalarExpr operator -(DeviceScalar a, ScalarExpr b) => (ScalarExpr)a - b;

    /// <summary>The difference.</summary>
    public static ScalarExpr operator -(ScalarExpr a, DeviceScalar b) => a - (ScalarExpr)b;

    /// <summary>The product.</summary>
    public static ScalarExpr operator *(DeviceScalar a, DeviceScalar b) => (ScalarExpr)a * b;

    /// <summary>The product.</summary>
    public static ScalarExpr operator *(DeviceScalar a, ScalarExpr b) => (ScalarExpr)a * b;

    /// <summary>The product.</summary>
    public static ScalarExpr operator *(ScalarExpr a, DeviceScalar b) => a * (ScalarExpr)b;

    /// <summary>The quotient.</summary>
    public static ScalarExpr operator /(DeviceScalar a, DeviceScalar b) => (ScalarExpr)a / b;

    /// <summary>The quotient.</summary>
    public static ScalarExpr operator /(DeviceScalar a, ScalarExpr b) => (ScalarExpr)a / b;

    /// <summary>The quotient.</summary>
    public static ScalarExpr operator /(ScalarExpr a, DeviceScalar b) => a / (ScalarExpr)b;

    /// <summary>The negation.</summary>
    public static ScalarExpr operator -(DeviceScalar a) => -(ScalarExpr)a;

    /// <summary><c>target = value</c>, a statement of a <see cref="ScalarProgram"/>.</summary>
    public ScalarAssignment Assign(ScalarExpr value) => new(Tensor, value);

    /// <inheritdoc />
    public override string ToString() => Name;
}
