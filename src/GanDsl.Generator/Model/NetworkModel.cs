namespace GanDsl.Generator.Model
{
    /// <summary>
    /// A per-sample tensor shape: (channels, height, width) for images, stored channels-last;
    /// (features, 1, 1) with <see cref="Spatial"/> false for vectors.
    /// </summary>
    internal sealed record Shape(int Channels, int Height, int Width, bool Spatial)
    {
        public static Shape Vector(int features) => new(features, 1, 1, false);

        /// <summary>Values per sample; valid once <see cref="Shapes"/> has checked the shape against the limits.</summary>
        public int Features => Channels * Height * Width;

        /// <summary>Values per sample, without overflow for any dimensions (each is at most int.MaxValue).</summary>
        public long FeatureCount => NetworkLimits.Multiply(NetworkLimits.Multiply(Channels, Height), Width);

        public override string ToString() => Spatial ? $"({Channels}, {Height}, {Width})" : $"({Channels})";
    }

    /// <summary>
    /// One layer as declared, its arguments read: no symbols, no locations, so equal networks compare
    /// equal. Fields a kind does not use keep their defaults.
    /// </summary>
    internal sealed record LayerModel(LayerKind Kind)
    {
        /// <summary>Dense units, convolution filters, Condition classes.</summary>
        public int Size { get; init; }

        /// <summary>Input and Reshape: the declared shape.</summary>
        public Shape? Declared { get; init; }

        public int Kernel { get; init; }

        public int Stride { get; init; } = 1;

        public Padding Padding { get; init; }

        /// <summary>ConvTranspose2D: the output size asked for, 0 for the natural one.</summary>
        public int OutputSize { get; init; }

        /// <summary>Dense and convolutions: whether they have a bias.</summary>
        public bool Bias { get; init; } = true;

        /// <summary>PRelu: whether it learns a slope per channel (else one).</summary>
        public bool PerChannel { get; init; }

        /// <summary>InstanceNorm: whether it learns a scale and a shift per channel.</summary>
        public bool Affine { get; init; }

        public ActivationKind Activation { get; init; }

        public float Slope { get; init; }

        /// <summary>Dropout: the probability of dropping.</summary>
        public float Rate { get; init; }

        public float Momentum { get; init; }

        public float Epsilon { get; init; }

        /// <summary>Condition: the embedding size.</summary>
        public int Embedding { get; init; }

        /// <summary>Upsample: how many times higher and wider.</summary>
        public int Factor { get; init; }

        /// <summary>Condition: multiply the input by the label's embedding instead of appending it (ConditionMultiply).</summary>
        public bool Multiply { get; init; }

        /// <summary>Head: its name.</summary>
        public string Name { get; init; } = "";

        /// <summary>The layer as written, e.g. <c>Conv2D(64, 5, stride: 2)</c>, for summaries and messages.</summary>
        public string Text { get; init; } = "";
    }

    /// <summary>A valid network, ready to plan and emit.</summary>
    /// <param name="Namespace">Its namespace as code writes it (keywords escaped: <c>@namespace</c>), or null for the global one.</param>
    /// <param name="Name">Its type name, unescaped (<c>class</c> for <c>@class</c>).</param>
    /// <param name="Layers">The layers in declaration order.</param>
    /// <param name="GradientPenalty">Whether [GradientPenalty] asks for the second-order pass.</param>
    internal sealed record NetworkModel(string? Namespace, string Name, EquatableArray<LayerModel> Layers, bool GradientPenalty)
    {
        /// <summary>The WeightInit member that [Initialization] names; PyTorch by default.</summary>
        public string Initialization { get; init; } = "PyTorch";

        /// <summary>The layers it shares with another network ([SharedWith]), or null.</summary>
        public SharingModel? Sharing { get; init; }

        public string FullName => Namespace is null ? Name : Namespace + "." + Name;

        /// <summary>The type's name in code: <c>@class</c> for a keyword.</summary>
        public string Identifier => Identifiers.Escape(Name);

        public string HintName => Identifiers.HintName(FullName);
    }

    /// <summary>
    /// Layers [<see cref="First"/>, <see cref="End"/>) of a network (between [SharedWith] and [EndShared]) that use the
    /// parameters of the same layers in network <see cref="Owner"/>, which start at <see cref="OwnerOffset"/> in its buffer.
    /// </summary>
    /// <param name="Owner">The owner's type name.</param>
    /// <param name="OwnerType">The owner's type as generated code writes it (<c>global::Ns.Name</c>).</param>
    /// <param name="First">The first shared layer's index in the sharing network's layers.</param>
    /// <param name="End">The index after the last shared layer.</param>
    /// <param name="OwnerOffset">Where the shared parameters start in the owner's parameter buffer.</param>
    internal sealed record SharingModel(string Owner, string OwnerType, int First, int End, long OwnerOffset);

    /// <summary>A network class whose layers have errors, but to which a part can be added: it gets a placeholder.</summary>
    /// <param name="Namespace">As code writes it, or null for the global one.</param>
    /// <param name="Name">The type name, unescaped.</param>
    internal sealed record NetworkStub(string? Namespace, string Name)
    {
        /// <summary>The type a [SharedWith] names (<c>global::Ns.Name</c>), which the constructor takes, or null.</summary>
        public string? OwnerType { get; init; }

        public string Identifier => Identifiers.Escape(Name);

        public string HintName => Identifiers.HintName(Namespace is null ? Name : Namespace + "." + Name);
    }

    /// <summary>What parsing one class gives: a model when it is valid, diagnostics either way, and a placeholder when it is not valid but can take one.</summary>
    internal sealed record ParseResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, NetworkStub? Stub);
}
