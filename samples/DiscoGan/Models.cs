using GanDsl;

namespace DiscoGan;

// DiscoGAN (Kim et al. 2017) between MNIST and MNIST turned 90 degrees. The turn moves every pixel across the image, so the
// networks are fully connected, as in the authors' toy experiment, where their image experiments use convolutional
// encoder-decoders. The authors' encoder-decoder scaled to 28x28 (4x4 stride-2 convolutions 64, 128 and 256 down to 4x4,
// transposed convolutions back), trained with this step, mapped digits to other digits: after 8 epochs the classifier
// read 14.5% and 13.6% of the translations, turned back, as their source digit; with a dense bottleneck, 20.8% and 25.5%.
// These networks reach 86.7% and 86.3% after 10 epochs, 96.5% and 96.4% after 20. No BatchNorm: in the second layers, where
// the authors' networks normalise, it found the turn more slowly (35.6% and 35.3% after 6 epochs, against 71.9% and 71.4%).
[Input(1, 28, 28)]
[Flatten]
[Dense(1024), LeakyRelu(0.2f)]
[Dense(1024), LeakyRelu(0.2f)]
[Dense(784), Tanh]
[Reshape(1, 28, 28)]
public partial class DiscoGanGenerator;

// A discriminator's features: the step matches their batch means between real images and translations (feature matching,
// 0.9 of the generator's GAN term, as the authors' code weights it).
[Input(1, 28, 28)]
[Flatten]
[Dense(512), LeakyRelu(0.2f)]
[Dense(256), LeakyRelu(0.2f)]
public partial class DiscoGanFeatures;

// The discriminator's judgement of its features: one logit.
[Input(256)]
[Dense(1)]
public partial class DiscoGanJudge;
