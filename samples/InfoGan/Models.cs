using GanDsl;

namespace InfoGan;

// The InfoGAN paper's MNIST generator (Chen et al. 2016, appendix C.1): 62 noise values, a one-hot category of 10
// and 2 continuous codes (74 in all) to a 28x28 image; tanh for images in [-1, 1].
[Input(74)]
[Dense(1024), BatchNorm, Relu]
[Dense(7 * 7 * 128), BatchNorm, Relu]
[Reshape(128, 7, 7)]
[ConvTranspose2D(64, 4, stride: 2), BatchNorm, Relu]
[ConvTranspose2D(1, 4, stride: 2), Tanh]
public partial class InfoGanGenerator;

// The paper's discriminator trunk (two 4x4 stride-2 convolutions, a Dense of 1024, LeakyReLU 0.1, BatchNorm), then three
// heads on it: D's real/fake logit, and Q's: the category's 10 logits and the continuous codes' 2 means, each Q head
// through its own Dense(128) + BatchNorm + LeakyReLU (the paper shares that layer between the two Q outputs).
[Input(1, 28, 28)]
[Conv2D(64, 4, stride: 2), LeakyRelu(0.1f)]
[Conv2D(128, 4, stride: 2)]
[BatchNorm, LeakyRelu(0.1f)]
[Flatten]
[Dense(1024)]
[BatchNorm, LeakyRelu(0.1f)]
[Head("validity")]
[Dense(1)]
[Head("category")]
[Dense(128)]
[BatchNorm, LeakyRelu(0.1f)]
[Dense(10)]
[Head("code")]
[Dense(128)]
[BatchNorm, LeakyRelu(0.1f)]
[Dense(2)]
public partial class InfoGanDiscriminator;
