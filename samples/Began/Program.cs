using GanDsl;
using Began;
using GanDsl.Backends;
using GanDsl.Samples;

// Berthelot et al. (2017): Adam, gamma 0.5, lambda_k 0.001, k from 0; PyTorch-GAN's MNIST recipe for the rest
// (learning rate 2e-4, betas 0.5 and 0.999, batch 64). A higher gamma trades quality for diversity.
return new Sample(
    "Began",
    "trains BEGAN (Berthelot et al. 2017) on MNIST: an autoencoder discriminator kept in equilibrium with the generator.",
    new SampleDefaults
    {
        Epochs = 5,
        GanOptions = false,
        Settings =
        [
            new SampleSetting("gamma", "the diversity ratio: higher, more varied and noisier digits", 0.5, 0.01, 2),
            new SampleSetting("lambda-k", "how fast k follows the equilibrium", 0.001, 0, 1),
        ],
    },
    setup => new BeganStep(new BeganGenerator(setup.Backend, setup.Seed), new BeganDiscriminator(setup.Backend, setup.Seed + 1),
        setup.Optimizer, setup.Options.BatchSize,
        gamma: (float)setup.Options.Setting("gamma"), lambdaK: (float)setup.Options.Setting("lambda-k"))).Run(args);
