using GanDsl;

namespace HrDcgan;

// HR-DCGAN (Curtó, Zarza, De la Torre, King and Lyu, "High-resolution deep convolutional generative adversarial
// networks", 2017): DCGAN with SELU in place of ReLU and LeakyReLU, BatchNorm followed by SELU (the paper's "BS"
// layers) where DCGAN normalises. These are samples/Dcgan's networks with only that change, so the two samples
// compare the activation alone: the same layers, sizes, dropout, initialisation and optimizer.
[Initialization(WeightInit.Keras)]
[Input(100)]
[Dense(7 * 7 * 256, Bias = false), BatchNorm, Selu]
[Reshape(256, 7, 7)]
[ConvTranspose2D(128, 5, stride: 1, Bias = false), BatchNorm, Selu]
[ConvTranspose2D(64, 5, stride: 2, Bias = false), BatchNorm, Selu]
[ConvTranspose2D(1, 5, stride: 2, Bias = false), Tanh]
public partial class HrDcganGenerator;

[Initialization(WeightInit.Keras)]
[Input(1, 28, 28)]
[Conv2D(64, 5, stride: 2), Selu]
[Dropout(0.3f)]
[Conv2D(128, 5, stride: 2), Selu]
[Dropout(0.3f)]
[Flatten]
[Dense(1)]
public partial class HrDcganDiscriminator;
