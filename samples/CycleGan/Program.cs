using GanDsl;
using GanDsl.Data;
using GanDsl.Samples;
using CycleGan;

// CycleGAN's recipe (Zhu et al. 2017): Adam 2e-4 with betas 0.5 and 0.999, least-squares GAN, cycle L1 x 10, identity
// L1 x 5, a pool of 50 past fakes per discriminator, the learning rate constant for the first half of the epochs and
// falling linearly to zero over the second. The data: MNIST's training 6s (domain A) and 9s (domain B), unpaired.
// The authors train with batch 1 for 200 epochs of about 1,000 images; here batch 16, 4 epochs of about 5,900 pairs
// (the decay over epochs 3 and 4).
return new Sample(
    "CycleGan",
    "trains CycleGAN (Zhu et al. 2017) between MNIST's 6s and 9s, unpaired: the classifier should read each translated 6 as a 9, and each 9 as a 6.",
    new SampleDefaults
    {
        Epochs = 4,
        BatchSize = 16,
        GanOptions = false,
        Generates = false,
        Settings =
        [
            new SampleSetting("cycle-weight", "λ, the weight of each cycle-consistency L1 term", 10, 0, 1e6),
            new SampleSetting("identity-weight", "the weight of each identity L1 term (0: none)", 5, 0, 1e6),
            new SampleSetting("pool", "past fakes each discriminator draws from (0: none)", 50, 0, 10_000, Whole: true),
        ],
    },
    setup => new CycleGanStep(new CycleGanGenerator(setup.Backend, setup.Seed), new CycleGanGenerator(setup.Backend, setup.Seed + 1),
        new CycleGanDiscriminator(setup.Backend, setup.Seed + 2), new CycleGanDiscriminator(setup.Backend, setup.Seed + 3), setup.Optimizer,
        new CycleGanOptions
        {
            BatchSize = setup.Options.BatchSize,
            CycleWeight = (float)setup.Options.Setting("cycle-weight"),
            IdentityWeight = (float)setup.Options.Setting("identity-weight"),
            PoolSize = (int)setup.Options.Setting("pool"),
            DecayFrom = setup.Options.Epochs / 2,
            LastEpoch = setup.Options.Epochs,
        },
        SixesAndNines.Of(setup.Data.Test)))
{
    TrainingData = (data, _) => SixesAndNines.Of(data.Train),

    // The test set's 6s and 9s translated: how many the reference classifier reads as the other digit, and the cycle's L1.
    Evaluation = (step, data, evaluator, count) =>
    {
        var cycle = (CycleGanStep)step;
        var translation = SixesAndNines.Measure(cycle, SixesAndNines.Of(data.Test), evaluator);
        Console.WriteLine(translation);
        return translation.Report;
    },
}.Run(args);
