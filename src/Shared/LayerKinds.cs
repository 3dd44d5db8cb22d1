// Compiled into both the source generator (GANDSL_GENERATOR, where these types are internal) and the runtime (public),
// so the names the generator prints into generated code and the ones the runtime declares are one definition.
namespace GanDsl
{
    /// <summary>The kind of a layer attribute.</summary>
#if GANDSL_GENERATOR
    internal
#else
    public
#endif
    enum LayerKind
    {
        /// <summary><see cref="InputAttribute"/>.</summary>
        Input,

        /// <summary><see cref="DenseAttribute"/>.</summary>
        Dense,

        /// <summary>An activation attribute such as <see cref="LeakyReluAttribute"/>.</summary>
        Activation,

        /// <summary><see cref="Conv2DAttribute"/>.</summary>
        Conv2D,

        /// <summary><see cref="ConvTranspose2DAttribute"/>.</summary>
        ConvTranspose2D,

        /// <summary><see cref="BatchNormAttribute"/>.</summary>
        BatchNorm,

        /// <summary><see cref="DropoutAttribute"/>.</summary>
        Dropout,

        /// <summary><see cref="ReshapeAttribute"/>.</summary>
        Reshape,

        /// <summary><see cref="FlattenAttribute"/>.</summary>
        Flatten,

        /// <summary><see cref="ConditionAttribute"/>.</summary>
        Condition,

        /// <summary><see cref="UpsampleAttribute"/>.</summary>
        Upsample,

        /// <summary><see cref="HeadAttribute"/>: where a named head branches off the trunk (no computation of its own).</summary>
        Head,

        /// <summary><see cref="PReluAttribute"/>: a leaky ReLU whose negative slope is learned (a layer of its own, not fused).</summary>
        PRelu,

        /// <summary><see cref="InstanceNormAttribute"/>.</summary>
        InstanceNorm,

        /// <summary><see cref="SaveAttribute"/>: names the tensor so far for a later skip (no computation).</summary>
        Save,

        /// <summary><see cref="ConcatAttribute"/>: a saved tensor's channels appended (U-Net).</summary>
        Concat,

        /// <summary><see cref="AddAttribute"/>: a saved tensor added (residual).</summary>
        Add,

        /// <summary><see cref="SharedWithAttribute"/>: the layers from here to <see cref="EndShared"/> (or the end) use another network's parameters.</summary>
        SharedWith,

        /// <summary><see cref="EndSharedAttribute"/>: ends the layers shared with another network.</summary>
        EndShared,
    }

    /// <summary>Elementwise activations.</summary>
#if GANDSL_GENERATOR
    internal
#else
    public
#endif
    enum ActivationKind
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

        /// <summary><see cref="EluAttribute"/>: <c>z &gt; 0 ? z : alpha (exp(z) - 1)</c>, alpha carried as the slope.</summary>
        Elu,

        /// <summary><see cref="SeluAttribute"/>: <c>scale * elu(z)</c> with SELU's fixed alpha and scale.</summary>
        Selu,
    }

    /// <summary>How a convolution pads its input, as Keras defines it.</summary>
#if GANDSL_GENERATOR
    internal
#else
    public
#endif
    enum Padding
    {
        /// <summary>
        /// Output size ceil(input / stride) for a convolution and input * stride for a transposed one; the
        /// padding is split evenly with any odd pixel at the bottom and right, as TensorFlow does.
        /// </summary>
        Same,

        /// <summary>No padding: output size ceil((input - kernel + 1) / stride), or (input - 1) * stride + kernel transposed.</summary>
        Valid,
    }

    /// <summary>How a network's parameters start; see <see cref="InitializationAttribute"/>.</summary>
#if GANDSL_GENERATOR
    internal
#else
    public
#endif
    enum WeightInit
    {
        /// <summary>
        /// PyTorch's defaults (the default): weights and biases U(±1/sqrt(fan-in)) as nn.Linear and
        /// nn.Conv2d, BatchNorm scale 1 and shift 0, label embeddings N(0, 1) as nn.Embedding.
        /// </summary>
        PyTorch,

        /// <summary>
        /// Keras' defaults: weights Glorot-uniform, U(±sqrt(6 / (fan-in + fan-out))), biases 0,
        /// BatchNorm scale 1 and shift 0, label embeddings U(±0.05). Models ported from Keras or
        /// TensorFlow tutorials train as there only with these.
        /// </summary>
        Keras,

        /// <summary>
        /// The DCGAN paper's (Radford et al. 2015, and PyTorch's DCGAN tutorial): weights N(0, 0.02),
        /// biases 0, BatchNorm scale N(1, 0.02) and shift 0, label embeddings N(0, 1).
        /// </summary>
        Dcgan,
    }

    /// <summary>What a parameter tensor is for, which also says how it is initialised.</summary>
#if GANDSL_GENERATOR
    internal
#else
    public
#endif
    enum ParameterKind
    {
        /// <summary>A weight: Dense (outputs, inputs), Conv2D (filters, channels, k, k), ConvTranspose2D (channels, filters, k, k); by default U(±1/sqrt(fan-in)) as PyTorch (see <see cref="WeightInit"/>).</summary>
        Weight,

        /// <summary>A bias vector, one per output; by default U(±1/sqrt(fan-in)).</summary>
        Bias,

        /// <summary>BatchNorm's scale (gamma); ones.</summary>
        Scale,

        /// <summary>BatchNorm's shift (beta); zeros.</summary>
        Shift,

        /// <summary>Condition's label embedding table (classes, size); N(0, 1) as PyTorch's nn.Embedding.</summary>
        Embedding,

        /// <summary>PReLU's learned negative slopes (one, or one per channel); 0.25 as PyTorch's nn.PReLU.</summary>
        Slope,
    }
}
