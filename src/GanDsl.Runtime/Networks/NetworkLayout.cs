namespace GanDsl;

/// <summary>The kind of a layer attribute.</summary>
public enum LayerKind
{
    /// <summary><see cref="InputAttribute"/>.</summary>
    Input,

    /// <summary><see cref="DenseAttribute"/>.</summary>
    Dense,

    /// <summary>An activation attribute such as <see cref="LeakyReluAttribute"/>.</summary>
    Activation,
}

/// <summary>Elementwise activations.</summary>
public enum ActivationKind
{
    /// <summary>No activation (identity).</summary>
    None,

    /// <summary><see cref="ReluAttribute"/>.</summary>
    Relu,

    /// <summary><see cref="LeakyReluAttribute"/>.</summary>
    LeakyRelu,

    /// <summary><see cref="TanhAttribute"/>.</summary>
    Tanh,

    /// <summary><see cref="SigmoidAttribute"/>.</summary>
    Sigmoid,
}

/// <summary>One layer as declared, with its inferred output shape.</summary>
/// <param name="Kind">What the layer is.</param>
/// <param name="Description">The layer as written, e.g. <c>Dense(256)</c> or <c>LeakyRelu(0.2)</c>.</param>
/// <param name="OutputFeatures">Features per sample after the layer.</param>
/// <param name="Activation">For activation layers, which one.</param>
/// <param name="Slope">For <see cref="ActivationKind.LeakyRelu"/>, the negative slope.</param>
/// <param name="WeightIndex">Index of the layer's weight in <see cref="NetworkLayout.Parameters"/>, or -1.</param>
/// <param name="BiasIndex">Index of the layer's bias in <see cref="NetworkLayout.Parameters"/>, or -1.</param>
public sealed record LayerInfo(
    LayerKind Kind,
    string Description,
    int OutputFeatures,
    ActivationKind Activation = ActivationKind.None,
    float Slope = 0f,
    int WeightIndex = -1,
    int BiasIndex = -1);

/// <summary>What a parameter tensor is for.</summary>
public enum ParameterKind
{
    /// <summary>A weight matrix, (outputs, inputs) as in PyTorch.</summary>
    Weight,

    /// <summary>A bias vector, one per output.</summary>
    Bias,
}

/// <summary>One parameter tensor inside a network's contiguous parameter buffer.</summary>
/// <param name="Name">Its name in generated code, e.g. <c>W0</c> or <c>b0</c>.</param>
/// <param name="Kind">Weight or bias.</param>
/// <param name="Rows">Rows (output features for weights, 1 for biases).</param>
/// <param name="Cols">Columns (input features for weights, output features for biases).</param>
/// <param name="Offset">Offset in the parameter buffer, in floats.</param>
/// <param name="FanIn">The layer's input features; initialisation draws from U(-1/sqrt(FanIn), 1/sqrt(FanIn)) as PyTorch's nn.Linear does.</param>
public sealed record ParameterInfo(string Name, ParameterKind Kind, int Rows, int Cols, long Offset, int FanIn)
{
    /// <summary>Rows times columns.</summary>
    public long Length => (long)Rows * Cols;

    /// <summary>The shape as PyTorch stores it: (rows, cols) for weights, (cols) for biases.</summary>
    public int[] Shape => Kind == ParameterKind.Bias ? [Cols] : [Rows, Cols];
}

/// <summary>
/// What the source generator knows about a network, for the runtime: layers, parameter tensors,
/// activation widths and a printable summary. Generated classes expose theirs as <c>NetworkLayout</c>.
/// </summary>
public sealed class NetworkLayout
{
    /// <summary>Creates a layout; called by generated code.</summary>
    /// <param name="name">The network's type name.</param>
    /// <param name="layers">Layers in declaration order, the input first.</param>
    /// <param name="parameters">Parameter tensors in buffer order.</param>
    /// <param name="activationWidths">Features of each stored activation: the input, then each Dense block's output.</param>
    /// <param name="summary">A Keras-style summary table.</param>
    public NetworkLayout(string name, LayerInfo[] layers, ParameterInfo[] parameters, int[] activationWidths, string summary)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(activationWidths);
        if (layers.Length == 0 || layers[0].Kind != LayerKind.Input || activationWidths.Length < 2)
        {
            throw new ArgumentException($"Network {name} must start with an input and have at least one layer.", nameof(layers));
        }

        Name = name;
        Layers = layers;
        Parameters = parameters;
        ActivationWidths = activationWidths;
        Summary = summary ?? string.Empty;
        ParameterCount = parameters.Sum(p => p.Length);
    }

    /// <summary>The network's type name.</summary>
    public string Name { get; }

    /// <summary>Layers in declaration order, the input first.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Parameter tensors in buffer order.</summary>
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>Features of each stored activation: the input, then each Dense block's output.</summary>
    public IReadOnlyList<int> ActivationWidths { get; }

    /// <summary>Features per input sample.</summary>
    public int InputFeatures => ActivationWidths[0];

    /// <summary>Features per output sample.</summary>
    public int OutputFeatures => ActivationWidths[^1];

    /// <summary>Total number of parameters.</summary>
    public long ParameterCount { get; }

    /// <summary>A Keras-style summary table: layers, output shapes, parameter counts.</summary>
    public string Summary { get; }

    /// <inheritdoc />
    public override string ToString() => Summary;
}
