namespace GanDsl;

/// <summary>A per-sample shape: (channels, height, width) for images, stored channels-last; (features, 1, 1) for vectors.</summary>
/// <param name="Channels">Channels, or features for a vector.</param>
/// <param name="Height">Height (1 for a vector).</param>
/// <param name="Width">Width (1 for a vector).</param>
/// <param name="Spatial">Whether this is an image rather than a vector.</param>
public readonly record struct TensorShape(int Channels, int Height, int Width, bool Spatial)
{
    /// <summary>Values per sample.</summary>
    public int Features => Channels * Height * Width;

    /// <inheritdoc />
    public override string ToString() => Spatial ? $"({Channels}, {Height}, {Width})" : $"({Channels})";
}

/// <summary>One layer as declared, with its inferred output shape and what it needs to be recomputed elsewhere.</summary>
/// <param name="Kind">What the layer is.</param>
/// <param name="Description">The layer as written, e.g. <c>Dense(256)</c> or <c>LeakyRelu(0.2f)</c>.</param>
/// <param name="Output">Its output shape per sample.</param>
public sealed record LayerInfo(LayerKind Kind, string Description, TensorShape Output)
{
    /// <summary>Features per sample after the layer.</summary>
    public int OutputFeatures => Output.Features;

    /// <summary>For activation layers, which one.</summary>
    public ActivationKind Activation { get; init; }

    /// <summary>For <see cref="ActivationKind.LeakyRelu"/>, the negative slope; for <see cref="ActivationKind.Elu"/>, alpha.</summary>
    public float Slope { get; init; }

    /// <summary>Index of the layer's weight (Dense, convolutions, BatchNorm's scale, Condition's table) in <see cref="NetworkLayout.Parameters"/>, or -1.</summary>
    public int WeightIndex { get; init; } = -1;

    /// <summary>Index of the layer's bias (or BatchNorm's shift) in <see cref="NetworkLayout.Parameters"/>, or -1.</summary>
    public int BiasIndex { get; init; } = -1;

    /// <summary>Convolutions: the geometry (for a transposed convolution, of the convolution it is the adjoint of).</summary>
    public Backends.ConvGeometry? Geometry { get; init; }

    /// <summary>BatchNorm: the running statistics' momentum.</summary>
    public float Momentum { get; init; }

    /// <summary>BatchNorm: added to the variance.</summary>
    public float Epsilon { get; init; }

    /// <summary>BatchNorm: index of its running mean in <see cref="NetworkLayout.States"/> (the variance follows).</summary>
    public int StateIndex { get; init; } = -1;

    /// <summary>Dropout: the probability of dropping.</summary>
    public float Rate { get; init; }

    /// <summary>Condition: the number of classes.</summary>
    public int Classes { get; init; }

    /// <summary>Condition: the embedding size.</summary>
    public int Embedding { get; init; }

    /// <summary>Condition: multiplies the input by the label's embedding (<see cref="ConditionMultiplyAttribute"/>) instead of appending it.</summary>
    public bool Multiply { get; init; }

    /// <summary>Save, Concat and Add: the saved tensor's name.</summary>
    public string Name { get; init; } = "";
}

/// <summary>One parameter tensor inside a network's contiguous parameter buffer.</summary>
/// <param name="Name">Its name in generated code, e.g. <c>W0</c> or <c>b0</c>.</param>
/// <param name="Kind">What it is for.</param>
/// <param name="Rows">Rows of its matrix view (outputs for weights, 1 for vectors).</param>
/// <param name="Cols">Columns of its matrix view.</param>
/// <param name="Offset">Offset in the parameter buffer, in floats.</param>
/// <param name="FanIn">The fan-in PyTorch's initialisation uses for it.</param>
/// <param name="Shape">Its shape as PyTorch stores it.</param>
/// <remarks>A parameter <see cref="Shared"/> with another network lives in that network's buffer, at <paramref name="Offset"/> there.</remarks>
public sealed record ParameterInfo(string Name, ParameterKind Kind, int Rows, int Cols, long Offset, int FanIn, int[] Shape)
{
    /// <summary>Rows times columns.</summary>
    public long Length => (long)Rows * Cols;

    /// <summary>Whether the parameter belongs to the network the layout shares layers with (<see cref="NetworkLayout.SharedWith"/>).</summary>
    public bool Shared { get; init; }
}

/// <summary>A non-trained part of the model, such as BatchNorm's running statistics.</summary>
/// <param name="Name">Its name, e.g. <c>running_mean0</c>.</param>
/// <param name="Length">Floats.</param>
/// <param name="Offset">Offset in the state buffer.</param>
/// <param name="Initial">Its initial value (0 for means, 1 for variances).</param>
public sealed record StateInfo(string Name, int Length, long Offset, float Initial);

/// <summary>A head of a network (<see cref="HeadAttribute"/>): its name and the activation slot of its output.</summary>
/// <param name="Name">The name the attribute gives it.</param>
/// <param name="Slot">The activation slot its output is in.</param>
public sealed record HeadInfo(string Name, int Slot);

/// <summary>
/// What the source generator knows about a network, for the runtime: layers, parameter tensors,
/// state, activation slots and a printable summary. Generated classes expose theirs as <c>Definition</c>.
/// </summary>
public sealed class NetworkLayout
{
    /// <summary>Creates a layout; called by generated code.</summary>
    /// <param name="name">The network's type name.</param>
    /// <param name="layers">Layers in declaration order, the input first.</param>
    /// <param name="parameters">Parameter tensors in buffer order.</param>
    /// <param name="slots">Shapes of the stored activations: the input, then each stage's output.</param>
    /// <param name="summary">A Keras-style summary table.</param>
    public NetworkLayout(string name, LayerInfo[] layers, ParameterInfo[] parameters, TensorShape[] slots, string summary)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(slots);
        if (layers.Length == 0 || layers[0].Kind != LayerKind.Input || slots.Length < 2)
        {
            throw new ArgumentException($"Network {name} must start with an input and have at least one layer.", nameof(layers));
        }

        Name = name;
        Layers = layers;
        Parameters = parameters;
        Slots = slots;
        ActivationWidths = slots.Select(s => s.Features).ToArray();
        Summary = summary ?? string.Empty;
        ParameterCount = parameters.Where(p => !p.Shared).Sum(p => p.Length);
        SharedParameterCount = parameters.Where(p => p.Shared).Sum(p => p.Length);
        SharedOffset = parameters.Where(p => p.Shared).Select(p => p.Offset).DefaultIfEmpty(0).Min();
    }

    /// <summary>The network's type name.</summary>
    public string Name { get; }

    /// <summary>Layers in declaration order, the input first.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Parameter tensors in buffer order.</summary>
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>Shapes of the stored activations: the input, then each stage's output.</summary>
    public IReadOnlyList<TensorShape> Slots { get; }

    /// <summary>Features of each stored activation (see <see cref="Slots"/>).</summary>
    public IReadOnlyList<int> ActivationWidths { get; }

    /// <summary>Non-trained state (BatchNorm's running statistics), in buffer order.</summary>
    public IReadOnlyList<StateInfo> States { get; init; } = [];

    /// <summary>Floats of per-batch statistics a forward pass keeps for its backward pass.</summary>
    public long SavedLength { get; init; }

    /// <summary>Floats of convolution scratch per sample of batch capacity.</summary>
    public long ScratchPerSample { get; init; }

    /// <summary>For networks with a <see cref="ConditionAttribute"/>, the number of classes; 0 otherwise.</summary>
    public int ConditionClasses { get; init; }

    /// <summary>Number of dropout layers.</summary>
    public int DropoutLayers { get; init; }

    /// <summary>Whether the generator emitted the second-order pass of <see cref="GradientPenaltyAttribute"/>.</summary>
    public bool SupportsGradientPenalty { get; init; }

    /// <summary>How <see cref="Network.InitializeParameters"/> starts the parameters (<see cref="InitializationAttribute"/>).</summary>
    public WeightInit Initialization { get; init; }

    /// <summary>CUDA C source of the network's fused kernels (the generated <c>CudaKernelSource</c>), for NVRTC; null when it has none.</summary>
    public string? CudaSource { get; init; }

    /// <summary>The heads (<see cref="HeadAttribute"/>) in declaration order; empty for a network of one chain.</summary>
    public IReadOnlyList<HeadInfo> Heads { get; init; } = [];

    /// <summary>With heads: the slot where the second and later heads' gradients with respect to the trunk's output land before they are added; -1 without.</summary>
    public int HeadSumSlot { get; init; } = -1;

    /// <summary>The slot of the network's output (<see cref="Network.Output"/>): its first head's, else the last stage's (the last slot unless skips add gradient slots after it).</summary>
    public int OutputSlot
    {
        get => Heads.Count > 0 ? Heads[0].Slot : _outputSlot ?? Slots.Count - 1;
        init => _outputSlot = value;
    }

    private readonly int? _outputSlot;

    /// <summary>Features per input sample.</summary>
    public int InputFeatures => ActivationWidths[0];

    /// <summary>Features per output sample (of the first head, for a network with heads).</summary>
    public int OutputFeatures => ActivationWidths[OutputSlot];

    /// <summary>The shape of one output sample (of the first head, for a network with heads).</summary>
    public TensorShape OutputShape => Slots[OutputSlot];

    /// <summary>Number of parameters the network owns (not those it shares with <see cref="SharedWith"/>).</summary>
    public long ParameterCount { get; }

    /// <summary>
    /// The network whose parameters the layers after <see cref="SharedWithAttribute"/> use (its type name), or null; a
    /// network built from this layout takes it at construction.
    /// </summary>
    public string? SharedWith { get; init; }

    /// <summary>Number of parameters shared with <see cref="SharedWith"/>: one contiguous run of its buffer.</summary>
    public long SharedParameterCount { get; }

    /// <summary>Where the shared parameters start in <see cref="SharedWith"/>'s buffer.</summary>
    public long SharedOffset { get; }

    /// <summary>Total floats of state.</summary>
    public long StateCount => States.Sum(s => (long)s.Length);

    /// <summary>A Keras-style summary table: layers, output shapes, parameter counts.</summary>
    public string Summary { get; }

    /// <inheritdoc />
    public override string ToString() => Summary;
}
