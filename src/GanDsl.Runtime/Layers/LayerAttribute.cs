namespace GanDsl;

/// <summary>
/// Base of every layer attribute. Layers placed on a <c>partial class</c> form a network, in the
/// order they are written; the GanDsl source generator turns them into forward and backward passes.
/// </summary>
public abstract class LayerAttribute : Attribute;

/// <summary>
/// The network's input: a vector of features, or an image of (channels, height, width). Must come first.
/// Images are stored channels-last (height, width, channels), as in TensorFlow.
/// </summary>
/// <example><code>[Input(100)] [Dense(256), LeakyRelu(0.2f)] [Dense(784), Tanh] public partial class Generator;</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : LayerAttribute
{
    /// <summary>A vector input of <paramref name="features"/> values per sample.</summary>
    /// <param name="features">Number of input features per sample (greater than zero).</param>
    public InputAttribute(int features) => (Channels, Height, Width) = (features, 1, 1);

    /// <summary>An image input.</summary>
    /// <param name="channels">Channels, e.g. 1 for MNIST.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="width">Width in pixels.</param>
    public InputAttribute(int channels, int height, int width) => (Channels, Height, Width) = (channels, height, width);

    /// <summary>Channels (features for a vector input).</summary>
    public int Channels { get; }

    /// <summary>Height (1 for a vector input).</summary>
    public int Height { get; }

    /// <summary>Width (1 for a vector input).</summary>
    public int Width { get; }

    /// <summary>Values per sample.</summary>
    public int Features => Channels * Height * Width;
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

/// <summary>
/// A 2-D convolution over a (channels, height, width) tensor, <c>filters</c> output channels, a square
/// kernel; weights (filters, channels, kernel, kernel) as PyTorch stores them, initialised like
/// PyTorch's nn.Conv2d.
/// </summary>
/// <param name="filters">Output channels.</param>
/// <param name="kernel">Kernel height and width.</param>
/// <param name="stride">Step between applications (default 1).</param>
/// <param name="padding">Keras-style padding (default <see cref="Padding.Same"/>).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute(int filters, int kernel, int stride = 1, Padding padding = Padding.Same) : LayerAttribute
{
    /// <summary>Output channels.</summary>
    public int Filters { get; } = filters;

    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between applications.</summary>
    public int Stride { get; } = stride;

    /// <summary>Keras-style padding.</summary>
    public Padding Padding { get; } = padding;

    /// <summary>Whether the layer adds a learned bias per filter (default <see langword="true"/>).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>
/// A 2-D transposed convolution ("deconvolution"): the gradient of a convolution with respect to its
/// input, used to upsample. Weights (channels in, filters, kernel, kernel) as PyTorch's
/// nn.ConvTranspose2d stores them.
/// </summary>
/// <param name="filters">Output channels.</param>
/// <param name="kernel">Kernel height and width.</param>
/// <param name="stride">Upsampling factor (default 1).</param>
/// <param name="padding">Keras-style padding (default <see cref="Padding.Same"/>: output = input * stride).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConvTranspose2DAttribute(int filters, int kernel, int stride = 1, Padding padding = Padding.Same) : LayerAttribute
{
    /// <summary>Output channels.</summary>
    public int Filters { get; } = filters;

    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Upsampling factor.</summary>
    public int Stride { get; } = stride;

    /// <summary>Keras-style padding.</summary>
    public Padding Padding { get; } = padding;

    /// <summary>Whether the layer adds a learned bias per filter (default <see langword="true"/>).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// The output height and width to reach, as PyTorch's <c>output_size</c>: 0 (the default) takes the
    /// padding's natural size; otherwise it must lie within stride - 1 pixels above it (GAN0016 if not).
    /// </summary>
    public int OutputSize { get; set; }
}

/// <summary>
/// Batch normalisation over the features of a vector, or the channels of an image, with a learned
/// scale and shift; running statistics for evaluation. Defaults are PyTorch's.
/// </summary>
/// <param name="momentum">Weight of the newest batch in the running statistics (default 0.1, PyTorch's).</param>
/// <param name="epsilon">Added to the variance (default 1e-5).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute(float momentum = 0.1f, float epsilon = 1e-5f) : LayerAttribute
{
    /// <summary>Weight of the newest batch in the running statistics.</summary>
    public float Momentum { get; } = momentum;

    /// <summary>Added to the variance.</summary>
    public float Epsilon { get; } = epsilon;
}

/// <summary>Dropout while training: zeroes each value with probability <c>rate</c> and scales the rest by 1 / (1 - rate); the identity when evaluating.</summary>
/// <param name="rate">Probability of dropping, in [0, 1).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute(float rate) : LayerAttribute
{
    /// <summary>Probability of dropping a value.</summary>
    public float Rate { get; } = rate;
}

/// <summary>Views the tensor as (channels, height, width), stored channels-last; the sizes must multiply to the features (GAN0015 if not).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReshapeAttribute(int channels, int height, int width) : LayerAttribute
{
    /// <summary>Channels.</summary>
    public int Channels { get; } = channels;

    /// <summary>Height.</summary>
    public int Height { get; } = height;

    /// <summary>Width.</summary>
    public int Width { get; } = width;
}

/// <summary>Views a (channels, height, width) tensor as a vector (channels-last order, as Keras does), so a Dense layer can follow.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute;

/// <summary>
/// Starts a named head: the layers after it, up to the next head, branch off the trunk (the layers before the
/// first head) and end in an output of their own. ACGAN's discriminator has a real/fake head and a class head on one
/// trunk; InfoGAN's a D head and a Q head. The forward pass computes every head; a backward pass takes the gradient of
/// the heads it is given (<see cref="Network.Backward(int, HeadSet, bool, bool, bool)"/>) and adds their contributions
/// in the trunk. The first head is the network's <see cref="Network.Output"/>; each is reachable by name with
/// <see cref="Network.Head(string)"/>.
/// </summary>
/// <example><code>
/// [Input(1, 28, 28)] [Conv2D(32, 3, stride: 2), LeakyRelu(0.2f)] [Flatten]
/// [Head("validity")] [Dense(1)]
/// [Head("label")] [Dense(10)]
/// public partial class AcganDiscriminator;
/// </code></example>
/// <param name="name">The head's name: letters, digits and underscores, unique in the network.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HeadAttribute(string name) : LayerAttribute
{
    /// <summary>The head's name.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Conditions the network on a class label (Mirza and Osindero 2014): a learned embedding of the label,
/// <c>embedding</c> values, joins the input, concatenated to a vector or as extra constant channels of
/// an image. Must come right after the Input; the label is given per sample through <c>Labels(rows)</c>.
/// </summary>
/// <param name="classes">Number of classes (10 for MNIST digits).</param>
/// <param name="embedding">Size of the learned embedding.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ConditionAttribute(int classes, int embedding) : LayerAttribute
{
    /// <summary>Number of classes.</summary>
    public int Classes { get; } = classes;

    /// <summary>Size of the learned embedding.</summary>
    public int Embedding { get; } = embedding;
}

/// <summary>
/// Conditions the network on a class label by product: the input is multiplied, feature by feature, by a learned
/// embedding of the label (one value per input feature), as Keras' ACGAN multiplies its noise by
/// <c>Embedding(classes, latent)(label)</c>. Must come right after the Input; labels through <c>Labels(rows)</c>.
/// Its parameters are a (classes, features) table initialised as PyTorch's <c>nn.Embedding</c>.
/// </summary>
/// <param name="classes">Number of classes (10 for MNIST digits).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ConditionMultiplyAttribute(int classes) : LayerAttribute
{
    /// <summary>Number of classes.</summary>
    public int Classes { get; } = classes;
}

/// <summary>
/// Asks the generator for the second-order pass WGAN-GP needs (the gradient of the gradient
/// penalty with respect to the parameters). It reports GAN0020 on any layer it cannot differentiate twice.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class GradientPenaltyAttribute : Attribute;

/// <summary>
/// On a network class: initialise its parameters by <paramref name="scheme"/> instead of PyTorch's
/// defaults. Seeded and backend-independent as always.
/// </summary>
/// <param name="scheme">The scheme.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InitializationAttribute(WeightInit scheme) : Attribute
{
    /// <summary>The scheme.</summary>
    public WeightInit Scheme { get; } = scheme;
}

/// <summary>
/// Nearest-neighbour upsampling of an image: (channels, height, width) to (channels, height * factor, width * factor),
/// each pixel repeated in a factor x factor block; PyTorch's <c>nn.Upsample(scale_factor=factor)</c> (mode nearest).
/// No parameters; image-to-image generators follow it with a convolution.
/// </summary>
/// <param name="factor">How many times higher and wider (default 2).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class UpsampleAttribute(int factor = 2) : LayerAttribute
{
    /// <summary>How many times higher and wider.</summary>
    public int Factor { get; } = factor;
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

/// <summary>
/// Names the tensor so far (after the layers above and their activation) for a skip connection further down:
/// <see cref="ConcatAttribute"/> (U-Net) or <see cref="AddAttribute"/> (residual). It computes nothing; each saved tensor
/// is joined once, and its gradient from the skip is added to the one from the layers after it.
/// </summary>
/// <example><code>
/// [Conv2D(64, 3), Relu] [Save("block")] [Conv2D(64, 3), Relu] [Conv2D(64, 3)] [Add("block")]
/// </code></example>
/// <param name="name">The tensor's name in the network: letters, digits and underscores.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SaveAttribute(string name) : LayerAttribute
{
    /// <summary>The name.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// A U-Net skip: the tensor saved as <paramref name="name"/> (<see cref="SaveAttribute"/>) appended as channels after the
/// current tensor's, per pixel; both must be images of the same height and width.
/// </summary>
/// <param name="name">The saved tensor.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatAttribute(string name) : LayerAttribute
{
    /// <summary>The saved tensor's name.</summary>
    public string Name { get; } = name;
}

/// <summary>A residual skip: the tensor saved as <paramref name="name"/> (<see cref="SaveAttribute"/>) added to the current one, of the same shape.</summary>
/// <param name="name">The saved tensor.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute(string name) : LayerAttribute
{
    /// <summary>The saved tensor's name.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Shares parameters with another network (CoGAN's coupled generators share their first layers, its discriminators their
/// last): the layers after this marker, up to <see cref="EndSharedAttribute"/> or the network's end, compute with the
/// parameters of the same layers in <paramref name="network"/>, which must declare them in a row, with the same settings
/// and input shape. The generated constructor then takes that network: <c>new GeneratorB(backend, generatorA, seed)</c>.
/// </summary>
/// <remarks>
/// Each network's backward pass writes its own gradients; an optimizer that holds both networks adds this one's to the
/// owner's and updates every shared parameter once (an optimizer that holds one of the two is refused). Checkpoints
/// store the shared parameters once, with the owner. BatchNorm's running statistics stay each network's own: they
/// describe the batches that network sees.
/// </remarks>
/// <example><code>
/// [Input(100)]
/// [SharedWith(typeof(CoGanGeneratorA))] [Dense(1024), BatchNorm, LeakyRelu(0.2f)] [Dense(6272)] [EndShared]
/// [Reshape(128, 7, 7)] [ConvTranspose2D(1, 4, stride: 4), Tanh]
/// public partial class CoGanGeneratorB;
/// </code></example>
/// <param name="network">The network that owns the parameters: a GanDsl network of the same project that shares none itself.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SharedWithAttribute(Type network) : LayerAttribute
{
    /// <summary>The network that owns the shared parameters.</summary>
    public Type Network { get; } = network;

    /// <summary>
    /// Where the shared layers start in <see cref="Network"/>: the row number (<c>#</c>) of its summary. Needed only when
    /// it declares the same layers more than once; by default the generator finds the one run that matches.
    /// </summary>
    public int Layer { get; set; } = -1;
}

/// <summary>Ends the layers shared with another network (<see cref="SharedWithAttribute"/>); without it they run to the network's end.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EndSharedAttribute : LayerAttribute;

/// <summary>
/// Instance normalisation (Ulyanov et al. 2016), for images: each sample's channel normalised over its pixels, with the
/// biased variance, then, with <paramref name="affine"/>, scaled and shifted per channel: PyTorch's
/// <c>nn.InstanceNorm2d(channels, eps, affine)</c> (no running statistics: training and evaluation alike). An activation
/// may follow it, as after a convolution. CycleGAN's generators use it in place of BatchNorm.
/// </summary>
/// <param name="affine">Learn a scale (ones at first) and a shift (zeros) per channel.</param>
/// <param name="epsilon">Added to the variance (default 1e-5).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InstanceNormAttribute(bool affine = false, float epsilon = 1e-5f) : LayerAttribute
{
    /// <summary>Whether it learns a scale and a shift per channel.</summary>
    public bool Affine { get; } = affine;

    /// <summary>Added to the variance.</summary>
    public float Epsilon { get; } = epsilon;
}

/// <summary>
/// Parametric ReLU (He et al. 2015), <c>x &gt; 0 ? x : a x</c> with the slope <c>a</c> learned: PyTorch's
/// <c>nn.PReLU()</c> (one slope, 0.25 at first) or, with <paramref name="perChannel"/>, <c>nn.PReLU(channels)</c>. Unlike
/// the other activations it is a layer of its own (it keeps its input for the slope's gradient), after any layer.
/// </summary>
/// <param name="perChannel">A slope per channel (per feature of a vector) instead of one for the layer.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReluAttribute(bool perChannel = false) : LayerAttribute
{
    /// <summary>Whether each channel learns its own slope.</summary>
    public bool PerChannel { get; } = perChannel;
}

/// <summary>
/// Exponential linear unit (Clevert et al. 2015), <c>x &gt; 0 ? x : alpha (exp(x) - 1)</c>, applied to the layer before
/// it: PyTorch's <c>nn.ELU(alpha)</c>.
/// </summary>
/// <param name="alpha">The value negative inputs saturate to is <c>-alpha</c>; 0 or more (default 1).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EluAttribute(float alpha = 1f) : LayerAttribute
{
    /// <summary>The saturation of negative inputs.</summary>
    public float Alpha { get; } = alpha;
}

/// <summary>
/// Scaled exponential linear unit (Klambauer et al. 2017), <c>scale * (x &gt; 0 ? x : alpha (exp(x) - 1))</c> with
/// alpha 1.6732632 and scale 1.0507010, applied to the layer before it: PyTorch's <c>nn.SELU()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SeluAttribute : LayerAttribute;

/// <summary>Hyperbolic tangent, applied to the layer before it; outputs in (-1, 1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute;

/// <summary>Logistic sigmoid, <c>1 / (1 + exp(-x))</c>, applied to the layer before it; outputs in (0, 1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute;
