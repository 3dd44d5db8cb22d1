using GanDsl;
using ConditionalGan;
using GanDsl.Samples;

// The sample grid has one row per digit, 0 to 9, ten samples each.
return GanSample.Create(
    "ConditionalGan",
    "trains a conditional MLP GAN (Mirza and Osindero 2014) on MNIST: ask for a digit, get that digit.",
    (backend, seed) => new ConditionalGenerator(backend, seed),
    (backend, seed) => new ConditionalDiscriminator(backend, seed),
    new SampleDefaults { Epochs = 20, SampleCount = 100, SampleColumns = 10 }).Run(args);
