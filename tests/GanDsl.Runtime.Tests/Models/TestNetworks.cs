namespace GanDsl.Tests.Models;

// The seed GAN's two networks (samples/MnistGan declares the same ones).
[Input(100)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class SeedGenerator;

[Input(784)]
[Dense(100), LeakyRelu(0.2f)]
[Dense(50), LeakyRelu(0.2f)]
[Dense(1)]
public partial class SeedDiscriminator;

// Small networks for gradient checks: every activation, odd widths (vector bodies and scalar tails),
// a Dense without bias, and widths that leave a partial 16-column block in the backward kernels.
[Input(7)]
[Dense(19), Relu]
[Dense(5)]
public partial class ReluNet;

[Input(6)]
[Dense(21), LeakyRelu(0.1f)]
[Dense(3), Tanh]
public partial class LeakyTanhNet;

[Input(9)]
[Dense(33), Sigmoid]
[Dense(4, Bias = false), Tanh]
[Dense(2, Bias = false)]
public partial class SigmoidNoBiasNet;

// Nearest-neighbour upsampling by 2 and by 3 between convolutions, on an image that is not square.
[Input(2, 3, 4)]
[Upsample]
[Conv2D(3, 3), LeakyRelu(0.1f)]
[Upsample(3)]
[Conv2D(2, 3, stride: 2, padding: Padding.Valid)]
[Flatten]
[Dense(2)]
public partial class UpsampleNet;

// Skips: a U-Net-like concatenation across a down and up convolution, and a residual block whose first Dense layer
// (with an activation) is read by a narrow Dense and by the skip; a residual Add right after its Save doubles the tensor.
[Input(2, 4, 4)]
[Conv2D(3, 3), LeakyRelu(0.2f)]
[Save("encoder")]
[Conv2D(4, 3, stride: 2), Relu]
[ConvTranspose2D(2, 3, stride: 2), LeakyRelu(0.1f)]
[Concat("encoder")]
[Conv2D(2, 1)]
[Flatten]
[Dense(6), Tanh]
[Save("block")]
[Dense(2), Relu]
[Dense(6)]
[Add("block")]
[Save("twice")]
[Add("twice")]
[Dense(3)]
public partial class SkipNet;

// InstanceNorm without and with its affine, each with an activation, on odd images; Upsample between, as CycleGAN's
// generators decode. The convolutions have no bias: the normalisation would remove it (its true gradient is 0).
[Input(2, 5, 3)]
[Conv2D(4, 3, Bias = false)]
[InstanceNorm, LeakyRelu(0.2f)]
[Upsample]
[Conv2D(3, 3, stride: 2, Bias = false)]
[InstanceNorm(affine: true, epsilon: 1e-3f), Tanh]
[Flatten]
[Dense(2)]
public partial class InstanceNormNet;

// PReLU with a slope per channel after a convolution, and with one slope after a Dense layer.
[Input(2, 4, 4)]
[Conv2D(3, 3)]
[PRelu(perChannel: true)]
[Flatten]
[Dense(5)]
[PRelu]
[Dense(2)]
public partial class PReluNet;

// The noise times a learned embedding of the label, as ACGAN's generator conditions.
[Input(6)]
[ConditionMultiply(3)]
[Dense(5), LeakyRelu(0.2f)]
[Dense(2)]
public partial class ProductNet;

// Two heads on a convolutional trunk, the second with a hidden layer of its own: ACGAN's discriminator in small.
[Input(1, 6, 6)]
[Conv2D(3, 3, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Head("validity")]
[Dense(1)]
[Head("label")]
[Dense(5), Relu]
[Dense(4)]
public partial class TwoHeadNet;

// Three heads on a Dense trunk with an activation (whose derivative must see the heads' gradients added, so no narrow
// head may fuse it), one head ending in a Reshape and one in an activation.
[Input(7)]
[Dense(9), Tanh]
[Head("a")]
[Dense(2)]
[Head("b")]
[Dense(3), Sigmoid]
[Head("c")]
[Dense(8), LeakyRelu(0.1f)]
[Reshape(2, 2, 2)]
public partial class ThreeHeadNet;

// The exponential units: ELU with its own alpha, SELU, and a Dense without activation between them.
[Input(6)]
[Dense(23), Elu(0.7f)]
[Dense(9), Selu]
[Dense(4)]
[Dense(3), Elu]
public partial class ExponentialNet;

[Input(40)]
[Dense(24), Tanh]
[Dense(17), LeakyRelu(0.2f)]
[Dense(1)]
public partial class DeepNet;

// A generator with the seed generator's input and output but other layers: another model.
[Input(100)]
[Dense(64), Relu]
[Dense(784), Tanh]
public partial class ReluOut;

// Convolutions: strided "same", then "valid", Flatten into Dense; odd sizes everywhere.
[Input(2, 7, 6)]
[Conv2D(3, 3, stride: 2), LeakyRelu(0.1f)]
[Conv2D(5, 2, padding: Padding.Valid), Tanh]
[Flatten]
[Dense(2)]
public partial class ConvNet;

// The DCGAN generator's pattern in small: Dense without bias, BatchNorm, Reshape, transposed convolutions.
[Input(5)]
[Dense(2 * 3 * 3, Bias = false), BatchNorm, Relu]
[Reshape(2, 3, 3)]
[ConvTranspose2D(3, 3, stride: 2, Bias = false), BatchNorm(0.2f, 1e-3f), LeakyRelu(0.3f)]
[ConvTranspose2D(1, 4, stride: 2, padding: Padding.Valid), Tanh]
public partial class TransposedNet;

// A transposed convolution asked for an output size other than its natural one.
[Input(2, 4, 4)]
[ConvTranspose2D(3, 3, stride: 2, OutputSize = 7), Sigmoid]
[Conv2D(2, 3, stride: 2, padding: Padding.Valid, Bias = false)]
[Flatten]
public partial class OutputSizeNet;

// A conditional MLP with dropout.
[Input(7)]
[Condition(4, 3)]
[Dense(6), Sigmoid]
[Dropout(0.25f)]
[Dense(2)]
public partial class ConditionNet;

// A conditional convolutional network: labels as extra channels, BatchNorm without activation.
[Input(2, 5, 5)]
[Condition(3, 2)]
[Conv2D(3, 3), Relu]
[BatchNorm]
[Dropout(0.3f)]
[Flatten]
[Dense(1)]
public partial class ConditionConvNet;

// WGAN-GP critics: the generator emits their second-order pass.
[GradientPenalty]
[Input(6)]
[Dense(5), LeakyRelu(0.2f)]
[Dense(4), Relu]
[Dense(1)]
public partial class PenaltyMlp;

[GradientPenalty]
[Input(1, 6, 6)]
[Conv2D(3, 3, stride: 2), LeakyRelu(0.2f)]
[Dropout(0.25f)]
[Conv2D(2, 2, padding: Padding.Valid), LeakyRelu(0.1f)]
[Flatten]
[Dense(1)]
public partial class PenaltyConv;

[GradientPenalty]
[Input(5)]
[Condition(3, 2)]
[Dense(4), LeakyRelu(0.2f)]
[Dense(1)]
public partial class PenaltyConditional;

[GradientPenalty]
[Input(2, 3, 3)]
[ConvTranspose2D(2, 3, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Dense(1)]
public partial class PenaltyTransposed;

// Every parameter kind (embedding, kernels, biases, BatchNorm), for the initialisation schemes.
[Initialization(WeightInit.Keras)]
[Input(3, 8, 8)]
[Condition(4, 5)]
[Conv2D(16, 3), BatchNorm, Relu]
[ConvTranspose2D(8, 3, stride: 2)]
[Flatten]
[Dense(40)]
public partial class KerasInitNet;

[Initialization(WeightInit.Dcgan)]
[Input(3, 8, 8)]
[Condition(4, 5)]
[Conv2D(16, 3), BatchNorm, Relu]
[ConvTranspose2D(8, 3, stride: 2)]
[Flatten]
[Dense(40)]
public partial class DcganInitNet;

[Input(3, 8, 8)]
[Condition(4, 5)]
[Conv2D(16, 3), BatchNorm, Relu]
[ConvTranspose2D(8, 3, stride: 2)]
[Flatten]
[Dense(40)]
public partial class PyTorchInitNet;

// Two layers written alike at different sizes: each row of the layer table must carry its own geometry and
// running statistics (rows were once matched to stages by their text, so both got the first one's). No bias before
// BatchNorm, whose gradient would be exactly zero.
[Input(1, 9, 9)]
[Conv2D(2, 3, stride: 2, Bias = false), BatchNorm, Relu]
[Conv2D(2, 3, stride: 2, Bias = false), BatchNorm, Relu]
[Flatten]
[Dense(1)]
public partial class TwinLayersNet;

// A WGAN-GP critic that upsamples: its second-order pass propagates the tangent through Upsample.
[GradientPenalty]
[Input(1, 3, 3)]
[Upsample]
[Conv2D(2, 3, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Dense(1)]
public partial class PenaltyUpsample;

// Small networks for the ACGAN and InfoGAN learning checks: the samples' steps with Dense layers, fast on the CPU.
[Input(64)]
[ConditionMultiply(10)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class SmallAcganGenerator;

[Input(784)]
[Dense(256), LeakyRelu(0.2f)]
[Head("validity")]
[Dense(1)]
[Head("label")]
[Dense(10)]
public partial class SmallAcganDiscriminator;

[Input(74)]
[Dense(256), BatchNorm, Relu]
[Dense(784), Tanh]
public partial class SmallInfoGanGenerator;

[Input(784)]
[Dense(256), LeakyRelu(0.1f)]
[Head("validity")]
[Dense(1)]
[Head("category")]
[Dense(64), LeakyRelu(0.1f)]
[Dense(10)]
[Head("code")]
[Dense(64), LeakyRelu(0.1f)]
[Dense(2)]
public partial class SmallInfoGanDiscriminator;

// Shared layers (CoGAN's coupling). SharedFirstNet uses the first layers of SharedOwnerNet, BatchNorm included (its running
// statistics stay its own), then a layer of its own (SharedThenNarrowNet shares only the first); SharedLastNet and SharedNarrowNet use the last layers of
// SharedLastOwnerNet after first layers of their own, SharedNarrowNet only the one-logit Dense, whose predecessor is its own.
[Input(4)]
[Dense(12), Relu]
[Dense(18)]
[Reshape(2, 3, 3)]
[BatchNorm, LeakyRelu(0.2f)]
[ConvTranspose2D(2, 3, stride: 2), Tanh]
public partial class SharedOwnerNet;

[Input(4)]
[SharedWith(typeof(SharedOwnerNet))]
[Dense(12), Relu]
[Dense(18)]
[Reshape(2, 3, 3)]
[BatchNorm, LeakyRelu(0.2f)]
[EndShared]
[ConvTranspose2D(1, 3, stride: 2), Sigmoid]
public partial class SharedFirstNet;

// A narrow Dense of its own after a shared Dense + activation: their backward kernels are not fused (the shared layer's
// gradients are apart from its own).
[Input(4)]
[SharedWith(typeof(SharedOwnerNet))]
[Dense(12), Relu]
[EndShared]
[Dense(3)]
public partial class SharedThenNarrowNet;

[Input(1, 6, 6)]
[Conv2D(3, 3, stride: 2), LeakyRelu(0.2f)]
[Conv2D(4, 3), BatchNorm, LeakyRelu(0.2f)]
[Flatten]
[Dense(5), LeakyRelu(0.2f)]
[Dense(1)]
public partial class SharedLastOwnerNet;

[Input(2, 6, 6)]
[Conv2D(3, 3, stride: 2), LeakyRelu(0.2f)]
[SharedWith(typeof(SharedLastOwnerNet))]
[Conv2D(4, 3), BatchNorm, LeakyRelu(0.2f)]
[Flatten]
[Dense(5), LeakyRelu(0.2f)]
[Dense(1)]
public partial class SharedLastNet;

[Input(1, 6, 6)]
[Conv2D(2, 3, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Dense(5), LeakyRelu(0.2f)]
[SharedWith(typeof(SharedLastOwnerNet))]
[Dense(1)]
public partial class SharedNarrowNet;

// A generator of MNIST-sized images with BatchNorm statistics, for the averaged generator.
[Input(16)]
[Dense(32, Bias = false), BatchNorm, Relu]
[Dense(784), Tanh]
public partial class BatchNormImageGenerator;
