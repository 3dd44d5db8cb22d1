using GanDsl;

namespace Began;

// The generator: 64 noise values to a 28x28 image in [-1, 1], through two Dense layers, a 7x7 map and two transposed
// convolutions (the InfoGAN generator that BEGAN's MNIST ports use, narrower).
[Input(64)]
[Dense(1024), BatchNorm, Relu]
[Dense(64 * 7 * 7), BatchNorm, Relu]
[Reshape(64, 7, 7)]
[ConvTranspose2D(32, 4, stride: 2), BatchNorm, Relu]
[ConvTranspose2D(1, 4, stride: 2), Tanh]
public partial class BeganGenerator;

// The discriminator is an autoencoder (BEGAN's energy is its reconstruction error): a convolution down, a 32-value
// code, then Dense, Reshape and a transposed convolution back up to the image, with no squashing at the end.
[Input(1, 28, 28)]
[Conv2D(32, 4, stride: 2), LeakyRelu(0.2f)]
[Flatten]
[Dense(32)]
[Dense(32 * 14 * 14), LeakyRelu(0.2f)]
[Reshape(32, 14, 14)]
[ConvTranspose2D(1, 4, stride: 2)]
public partial class BeganDiscriminator;
