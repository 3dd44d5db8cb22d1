using GanDsl;

namespace Acgan;

// Keras' mnist_acgan generator: the noise times a learned embedding of the digit, a 3x3x384 map, then transposed
// convolutions to 7x7, 14x14 and 28x28 (ReLU, then BatchNorm with Keras' momentum 0.99 and epsilon 1e-3, as Keras
// orders them; tanh at the end).
[Input(100)]
[ConditionMultiply(10)]
[Dense(3 * 3 * 384), Relu]
[Reshape(384, 3, 3)]
[ConvTranspose2D(192, 5, padding: Padding.Valid), Relu]
[BatchNorm(0.01f, 1e-3f)]
[ConvTranspose2D(96, 5, stride: 2), Relu]
[BatchNorm(0.01f, 1e-3f)]
[ConvTranspose2D(1, 5, stride: 2), Tanh]
public partial class AcganGenerator;

// Keras' mnist_acgan discriminator: four 3x3 convolutions (strides 2, 1, 2, 1) with LeakyReLU 0.2 and dropout 0.3, then
// two heads on the shared features: a real/fake logit and ten class logits (the losses apply sigmoid and softmax).
[Input(1, 28, 28)]
[Conv2D(32, 3, stride: 2), LeakyRelu(0.2f)]
[Dropout(0.3f)]
[Conv2D(64, 3), LeakyRelu(0.2f)]
[Dropout(0.3f)]
[Conv2D(128, 3, stride: 2), LeakyRelu(0.2f)]
[Dropout(0.3f)]
[Conv2D(256, 3), LeakyRelu(0.2f)]
[Dropout(0.3f)]
[Flatten]
[Head("validity")]
[Dense(1)]
[Head("label")]
[Dense(10)]
public partial class AcganDiscriminator;
