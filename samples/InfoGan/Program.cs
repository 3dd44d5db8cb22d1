using GanDsl;
using InfoGan;
using GanDsl.Backends;
using GanDsl.Samples;

// The InfoGAN paper's MNIST setup (Chen et al. 2016): Adam with beta1 0.5, learning rate 2e-4 for D and Q and 1e-3
// for G, batch 64; the information loss weighted 1 on the category and 0.1 on the continuous codes (the weight
// PyTorch-GAN's InfoGAN uses for its MSE). The sample grid has one row per category, the first code from -1 to 1
// along the columns. 20 epochs: the categories become a permutation of the digits by about the tenth, and 90% pure by
// the seventeenth (91.5% at the twentieth).
return new Sample(
    "InfoGan",
    "trains InfoGAN (Chen et al. 2016) on MNIST: a 10-way category and two codes that the generator learns to mean digit, slant and width, without labels.",
    new SampleDefaults
    {
        Epochs = 20,
        GanOptions = false,
        Settings =
        [
            new SampleSetting("g-lr", "the generator's learning rate (--lr sets D's and Q's)", 1e-3, 1e-7, 1),
            new SampleSetting("code-weight", "the weight of the continuous codes' information loss", 0.1, 0, 100),
        ],
    },
    setup => new InfoGanStep(new InfoGanGenerator(setup.Backend, setup.Seed), new InfoGanDiscriminator(setup.Backend, setup.Seed + 1),
        setup.Optimizer with { LearningRate = setup.Options.Setting("g-lr") }, setup.Optimizer, setup.Options.BatchSize,
        codeWeight: (float)setup.Options.Setting("code-weight")))
{
    // The category purity: each category mapped to the digit the reference classifier most often reads in it.
    Evaluation = (step, data, evaluator, count) =>
    {
        var (purity, digits, permutation, report) = ((InfoGanStep)step).Evaluate(evaluator, count);
        Console.WriteLine($"category purity {purity:P1} over {count:N0} generated images; categories 0-9 draw digits {string.Join(" ", digits)}" +
            (permutation ? " (a permutation of the ten digits)" : $" ({digits.Distinct().Count()} distinct digits: not a permutation)"));
        return report;
    },
}.Run(args);
