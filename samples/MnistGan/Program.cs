using GanDsl;
using GanDsl.Samples;
using MnistGan;

return GanSample.Create(
    "MnistGan",
    "trains the seed MLP GAN (generator 100-256-784, discriminator 784-100-50-1) on MNIST.",
    (backend, seed) => new MnistGenerator(backend, seed),
    (backend, seed) => new MnistDiscriminator(backend, seed),
    new SampleDefaults { Epochs = 30, LossOption = true }).Run(args);
