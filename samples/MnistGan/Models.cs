using GanDsl;

namespace MnistGan;

// The seed tutorial's MLP GAN. The generator maps 100 noise values to a 28x28 image in [-1, 1].
[Input(100)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class MnistGenerator;

// The discriminator maps an image to one logit; the loss applies the sigmoid.
[Input(784)]
[Dense(100), LeakyRelu(0.2f)]
[Dense(50), LeakyRelu(0.2f)]
[Dense(1)]
public partial class MnistDiscriminator;
