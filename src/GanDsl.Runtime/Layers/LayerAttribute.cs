namespace GanDsl;

/// <summary>
/// Base of every layer attribute. Layers placed on a <c>partial class</c> form a network, in the
/// order they are written; the GanDsl source generator turns them into forward and backward passes.
/// </summary>
public abstract class LayerAttribute : Attribute;

/// <summary>The network's input: <paramref name="features"/> values per sample. Must come first.</summary>
/// <param name="features">Number of input features per sample (greater than zero).</param>
/// <example><code>[Input(100)] [Dense(256), LeakyRelu(0.2f)] [Dense(784), Tanh] public partial class Generator;</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute(int features) : LayerAttribute
{
    /// <summary>Number of input features per sample.</summary>
    public int Features { get; } = features;
}

/// <summary>
/// A fully connected layer, <c>y = x W^T + b</c>, with <c>W</c> of shape (units, inputs) as in
/// PyTorch's <c>nn.Linear</c>, initialised like it: uniform in ±1/sqrt(inputs).
/// </summary>
/// <param name="units">Number of output features (greater than zero).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units) : LayerAttribute
{
    /// <summary>Number of output features.</summary>
    public int Units { get; } = units;

    /// <summary>Whether the layer adds a learned bias (default <see langword="true"/>).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>Rectified linear unit, <c>max(x, 0)</c>, applied to the layer before it.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReluAttribute : LayerAttribute;

/// <summary>Leaky rectified linear unit, <c>x &gt; 0 ? x : slope * x</c>, applied to the layer before it.</summary>
/// <param name="slope">Slope for negative inputs; 0 or more (default 0.2, as GANs use).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReluAttribute(float slope = 0.2f) : LayerAttribute
{
    /// <summary>Slope for negative inputs.</summary>
    public float Slope { get; } = slope;
}

/// <summary>Hyperbolic tangent, applied to the layer before it; outputs in (-1, 1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute;

/// <summary>Logistic sigmoid, <c>1 / (1 + exp(-x))</c>, applied to the layer before it; outputs in (0, 1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute;
