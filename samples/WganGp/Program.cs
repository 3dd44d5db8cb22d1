using GanDsl;
using GanDsl.Backends;
using GanDsl.Samples;
using WganGp;

// Gulrajani et al. (2017), Algorithm 1: Adam at 1e-4 with betas 0 and 0.9, five critic updates per
// generator update, penalty weight 10.
return GanSample.Create(
    "WganGp",
    "trains a Wasserstein GAN with gradient penalty (Gulrajani et al. 2017) on MNIST.",
    (backend, seed) => new WganGpGenerator(backend, seed),
    (backend, seed) => new WganGpCritic(backend, seed),
    new SampleDefaults
    {
        Epochs = 20,
        LearningRate = 1e-4,
        Optimizer = lr => new AdamSettings(lr, beta1: 0, beta2: 0.9),
        Loss = GanLoss.WassersteinGradientPenalty,
        CriticSteps = 5,
    }).Run(args);
