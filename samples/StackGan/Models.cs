using GanDsl;

namespace StackGan;

// StackGAN (Zhang et al. 2017) scaled to MNIST: the sentence embedding becomes the digit's label, stage I draws 14x14
// and stage II refines it to 28x28. DCGAN's N(0, 0.02) initialisation, as the authors' code.

// Conditioning augmentation: the label, one-hot, through a learned embedding to the mean and log-variance of a
// Gaussian over an 8-value condition code ĉ, drawn with the reparameterisation (the authors' FC + GLU, then mu and
// logvar halves, at MNIST's size).
[Initialization(WeightInit.Dcgan)]
[Input(10)]
[Dense(32), LeakyRelu(0.2f)]
[Head("mu")]
[Dense(8)]
[Head("logvar")]
[Dense(8)]
public partial class ConditioningAugmentation;

// Stage I: noise (100) and ĉ (8) to a 14x14 image: FC to 7x7x128, then the authors' upsampling blocks (nearest x2, 3x3
// convolution, BatchNorm, ReLU).
[Initialization(WeightInit.Dcgan)]
[Input(108)]
[Dense(7 * 7 * 128, Bias = false), BatchNorm, Relu]
[Reshape(128, 7, 7)]
[Upsample(2)]
[Conv2D(64, 3, Bias = false), BatchNorm, Relu]
[Conv2D(1, 3), Tanh]
public partial class StageOneGenerator;

// Stage I's discriminator of 14x14 images and their label (a learned embedding as extra channels): DCGAN's 4x4 stride-2
// convolutions, LeakyReLU 0.2, BatchNorm after the first.
[Initialization(WeightInit.Dcgan)]
[Input(1, 14, 14)]
[Condition(10, 4)]
[Conv2D(64, 4, stride: 2), LeakyRelu(0.2f)]
[Conv2D(128, 4, stride: 2, Bias = false), BatchNorm, LeakyRelu(0.2f)]
[Flatten]
[Dense(1)]
public partial class StageOneDiscriminator;

// Stage II: stage I's image and the label again (embedding channels) to 28x28: an encoder at 14x14, two residual blocks
// (the authors' 3x3 convolution, BatchNorm, ReLU, 3x3 convolution, BatchNorm, added to the input; without their
// ReLU after the sum, as CycleGAN's blocks), and one upsampling block to 28x28.
[Initialization(WeightInit.Dcgan)]
[Input(1, 14, 14)]
[Condition(10, 4)]
[Conv2D(64, 3), Relu]
[Save("r1")]
[Conv2D(64, 3, Bias = false), BatchNorm, Relu]
[Conv2D(64, 3, Bias = false), BatchNorm]
[Add("r1")]
[Save("r2")]
[Conv2D(64, 3, Bias = false), BatchNorm, Relu]
[Conv2D(64, 3, Bias = false), BatchNorm]
[Add("r2")]
[Upsample(2)]
[Conv2D(32, 3, Bias = false), BatchNorm, Relu]
[Conv2D(1, 3), Tanh]
public partial class StageTwoGenerator;

// Stage II's discriminator, of 28x28 images and their label.
[Initialization(WeightInit.Dcgan)]
[Input(1, 28, 28)]
[Condition(10, 4)]
[Conv2D(64, 4, stride: 2), LeakyRelu(0.2f)]
[Conv2D(128, 4, stride: 2, Bias = false), BatchNorm, LeakyRelu(0.2f)]
[Flatten]
[Dense(1)]
public partial class StageTwoDiscriminator;
