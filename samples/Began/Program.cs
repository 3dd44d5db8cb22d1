using Began;
using GanDsl.Backends;
using GanDsl.Samples;

// Berthelot et al. (2017): Adam, gamma 0.5, lambda_k 0.001, k from 0; PyTorch-GAN's MNIST recipe for the rest
// (learning rate 2e-4, betas 0.5 and 0.999, batch 64).
return new Sample(
    "Began",
    "trains BEGAN (Berthelot et al. 2017) on MNIST: an autoencoder discriminator kept in equilibrium with the generator.",
    new SampleDefaults { Epochs = 5, GanOptions = false },
    setup => new BeganStep(new BeganGenerator(setup.Backend, setup.Seed), new BeganDiscriminator(setup.Backend, setup.Seed + 1),
        new AdamSettings(setup.Options.LearningRate), setup.Options.BatchSize)).Run(args);
