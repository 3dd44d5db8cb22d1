using GanDsl;
using GanDsl.Backends;
using GanDsl.Samples;
using Wgan;

// Arjovsky et al. (2017), Algorithm 1: RMSprop at 5e-5, five critic updates per generator update, clip 0.01.
return GanSample.Create(
    "Wgan",
    "trains a Wasserstein GAN with weight clipping (Arjovsky et al. 2017) on MNIST.",
    (backend, seed) => new WganGenerator(backend, seed),
    (backend, seed) => new WganCritic(backend, seed),
    new SampleDefaults
    {
        Epochs = 30,
        LearningRate = 5e-5,
        Optimizer = lr => new RmsPropSettings(lr),
        Loss = GanLoss.Wasserstein,
        CriticSteps = 5,
    }).Run(args);
