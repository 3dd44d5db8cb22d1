using GanDsl;

namespace Pix2Pix;

// Pix2Pix (Isola et al. 2017) scaled to MNIST's 28x28: a U-Net whose decoder concatenates the encoder's features of the
// same size (skip connections), 4x4 stride-2 convolutions, LeakyReLU 0.2 down and ReLU up, BatchNorm on all but the
// first layer, and dropout 0.5 in the decoder's two inner layers (the paper's noise source, which it puts in the
// innermost decoder layers only; with dropout at 14x14 too, 93.7% of the inpainted digits were read right after 5
// epochs, without it 94.5%). Three steps down (28, 14, 7, 4) and a
// 3x3 bottleneck at 4x4 in place of the paper's eight to 1x1: as there, every output pixel sees the whole input (a
// field of 38 pixels; with two steps down it was 18, less than a digit, and a filled hole could not know the digit).
// Half the paper's channels (32, 64, 128), for a CPU; DCGAN's N(0, 0.02) initialisation, as the paper.
[Initialization(WeightInit.Dcgan)]
[Input(1, 28, 28)]
[Conv2D(32, 4, stride: 2), LeakyRelu(0.2f)]
[Save("e1")]
[Conv2D(64, 4, stride: 2), BatchNorm, LeakyRelu(0.2f)]
[Save("e2")]
[Conv2D(128, 4, stride: 2), BatchNorm, LeakyRelu(0.2f)]
[Conv2D(128, 3), BatchNorm, Relu]
[Dropout(0.5f)]
[ConvTranspose2D(64, 4, stride: 2, OutputSize = 7), BatchNorm, Relu]
[Dropout(0.5f)]
[Concat("e2")]
[ConvTranspose2D(32, 4, stride: 2), BatchNorm, Relu]
[Concat("e1")]
[ConvTranspose2D(1, 4, stride: 2), Tanh]
public partial class Pix2PixGenerator;

// The conditional PatchGAN: it reads (condition, image) as two channels and gives a 7x7 grid of logits, each judging
// a 22x22 patch: the paper's C64-C128 (with half the channels) and a last 4x4 convolution of stride 1 (its 70x70
// discriminator has two more layers).
[Initialization(WeightInit.Dcgan)]
[Input(2, 28, 28)]
[Conv2D(32, 4, stride: 2), LeakyRelu(0.2f)]
[Conv2D(64, 4, stride: 2), BatchNorm, LeakyRelu(0.2f)]
[Conv2D(1, 4)]
public partial class Pix2PixDiscriminator;
