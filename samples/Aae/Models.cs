using GanDsl;

namespace Aae;

// The adversarial autoencoder of eriklindernoren/PyTorch-GAN (aae.py), on 28x28 MNIST: an encoder q(z|x) whose two
// heads give a Gaussian's mean and log-variance over a 10-value code, a decoder from codes to images, and a
// discriminator that tells the encoder's codes from draws of the prior N(0, I). PyTorch's initialisation, as there.
[Input(784)]
[Dense(512), LeakyRelu(0.2f)]
[Dense(512), BatchNorm, LeakyRelu(0.2f)]
[Head("mu")]
[Dense(10)]
[Head("logvar")]
[Dense(10)]
public partial class AaeEncoder;

[Input(10)]
[Dense(512), LeakyRelu(0.2f)]
[Dense(512), BatchNorm, LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class AaeDecoder;

// Logits; the step's binary cross-entropy applies the sigmoid (PyTorch-GAN's Sigmoid + BCELoss, in one stable term).
[Input(10)]
[Dense(512), LeakyRelu(0.2f)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(1)]
public partial class AaeDiscriminator;
