using System.Globalization;
using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Samples;
using StackGan;

// StackGAN's recipe (Zhang et al. 2017): Adam 2e-4 with betas 0.5 and 0.999 for every network, λ 1 on the KL term,
// batch 64. The data: each training digit at 14x14 (stage I's reals, 2x2 means) and at 28x28 (stage II's), with its
// label. The authors train stage I for 600 epochs and then stage II with stage I fixed; here both stages train in
// every step, stage II on stage I's current images, for 2 epochs.
return new Sample(
    "StackGan",
    "trains a two-stage StackGAN (Zhang et al. 2017) on MNIST: ask for a digit, stage I draws it at 14x14 and stage II refines it to 28x28.",
    new SampleDefaults
    {
        Epochs = 2,
        BatchSize = 64,
        GanOptions = false,
        Generates = false,
        Settings = [new SampleSetting("kl-weight", "λ, the weight of the conditioning augmentation's KL term", 1, 0, 1e6)],
    },
    setup => new StackGanStep(new ConditioningAugmentation(setup.Backend, setup.Seed), new StageOneGenerator(setup.Backend, setup.Seed + 1),
        new StageOneDiscriminator(setup.Backend, setup.Seed + 2), new StageTwoGenerator(setup.Backend, setup.Seed + 3),
        new StageTwoDiscriminator(setup.Backend, setup.Seed + 4), setup.Optimizer, setup.Options.BatchSize, (float)setup.Options.Setting("kl-weight")))
{
    TrainingData = (data, _) => new PairedImages(DerivedDomains.Downsampled(data.Train), data.Train),

    // Digit asked for = produced, for stage II's images and for stage I's scaled up to 28x28, the same draws.
    Evaluation = (step, data, evaluator, count) =>
    {
        var stack = (StackGanStep)step;
        var labels = Enumerable.Range(0, count).Select(i => i % 10).ToArray();
        var (one, two) = stack.Generate(labels);
        var small = stack.StageOne.Layout.OutputShape;
        var before = evaluator.Evaluate(StackGanStep.ScaleUp(one, count, small.Height, small.Width, 2), count, labels);
        var after = evaluator.Evaluate(two, count, labels);
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{count:N0} digits asked for: stage II draws {after.Conditional!.Accuracy.ToString("P2", c)} as asked (MNIST score {after.Score.ToString("F2", c)}, " +
            $"Frechet distance {after.FrechetDistance.ToString("F1", c)}); stage I scaled up {before.Conditional!.Accuracy.ToString("P2", c)} " +
            $"(score {before.Score.ToString("F2", c)}, Frechet distance {before.FrechetDistance.ToString("F1", c)})");
        return after;
    },
}.Run(args);
