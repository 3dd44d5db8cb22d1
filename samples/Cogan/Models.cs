using GanDsl;

namespace Cogan;

// CoGAN (Liu and Tuzel 2016) for MNIST and its edges, at MNIST's 28x28 with stride-2 transposed convolutions in place
// of the paper's 4x4 start. As the paper's rule and its authors' code: the two generators share every layer but the
// last, which draws the domain's pixels from full-resolution features with a 5x5 kernel (theirs is 6x6 from 25x25), so
// one noise vector makes one digit in both domains; the two discriminators share every layer but the first, which
// reads the domain's pixels. BatchNorm and PReLU as the authors' code; the running statistics of a shared BatchNorm
// stay each network's own.
[Input(100)]
[Dense(128 * 7 * 7), BatchNorm, PRelu]
[Reshape(128, 7, 7)]
[ConvTranspose2D(64, 4, stride: 2), BatchNorm, PRelu]
[ConvTranspose2D(32, 4, stride: 2), BatchNorm, PRelu]
[ConvTranspose2D(1, 5), Tanh]
public partial class CoganGeneratorA;

[Input(100)]
[SharedWith(typeof(CoganGeneratorA))]
[Dense(128 * 7 * 7), BatchNorm, PRelu]
[Reshape(128, 7, 7)]
[ConvTranspose2D(64, 4, stride: 2), BatchNorm, PRelu]
[ConvTranspose2D(32, 4, stride: 2), BatchNorm, PRelu]
[EndShared]
[ConvTranspose2D(1, 5), Tanh]
public partial class CoganGeneratorB;

// DCGAN-style discriminators (their LeNet with max-pooling, dropout and PReLU learned edges too slowly here to
// tell outlines from textured noise): a 4x4 stride-2 convolution of their own on the domain's pixels, then shared
// layers, a second convolution and one logit. No BatchNorm: the step shows D [fake; real] batches, then fakes alone.
[Input(1, 28, 28)]
[Conv2D(32, 4, stride: 2), LeakyRelu(0.2f)]
[Conv2D(64, 4, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Dense(1)]
public partial class CoganDiscriminatorA;

[Input(1, 28, 28)]
[Conv2D(32, 4, stride: 2), LeakyRelu(0.2f)]
[SharedWith(typeof(CoganDiscriminatorA))]
[Conv2D(64, 4, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Dense(1)]
public partial class CoganDiscriminatorB;
