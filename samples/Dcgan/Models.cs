using GanDsl;

namespace Dcgan;

// The TensorFlow DCGAN tutorial's MNIST models (tensorflow.org/tutorials/generative/dcgan), one to one:
// Keras' "same" padding, channels-last tensors, LeakyReLU's default slope 0.3 and Keras' initialisation
// (Glorot-uniform kernels, zero biases): with PyTorch's defaults instead, the transposed convolutions
// start with outputs several times larger and this recipe's discriminator wins within a few hundred steps.
[Initialization(WeightInit.Keras)]
[Input(100)]
[Dense(7 * 7 * 256, Bias = false), BatchNorm, LeakyRelu(0.3f)]
[Reshape(256, 7, 7)]
[ConvTranspose2D(128, 5, stride: 1, Bias = false), BatchNorm, LeakyRelu(0.3f)]
[ConvTranspose2D(64, 5, stride: 2, Bias = false), BatchNorm, LeakyRelu(0.3f)]
[ConvTranspose2D(1, 5, stride: 2, Bias = false), Tanh]
public partial class DcganGenerator;

[Initialization(WeightInit.Keras)]
[Input(1, 28, 28)]
[Conv2D(64, 5, stride: 2), LeakyRelu(0.3f)]
[Dropout(0.3f)]
[Conv2D(128, 5, stride: 2), LeakyRelu(0.3f)]
[Dropout(0.3f)]
[Flatten]
[Dense(1)]
public partial class DcganDiscriminator;
