using GanDsl;
using Cogan;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Samples;

// CoGAN's MNIST-edge experiment, as its authors' code prepares it: MNIST's training set shuffled and cut in two halves,
// the first domain A as it is, the second turned into domain B by edges (the 3x3 dilation minus the image), so that no
// image of A has its edge image in B. Adam 2e-4 with betas 0.5 and 0.999 (the authors' weight decay left out), batch
// 64 per domain, 5 epochs (the authors' Caffe run takes 50,000 steps of 128).
return new Sample(
    "Cogan",
    "trains CoGAN (Liu and Tuzel 2016) on MNIST and unpaired MNIST edges: shared layers make one noise vector draw the same digit in both domains.",
    new SampleDefaults
    {
        Epochs = 5,
        BatchSize = 64,
        GanOptions = false,
    },
    setup =>
    {
        var (generatorA, discriminatorA) = (new CoganGeneratorA(setup.Backend, setup.Seed), new CoganDiscriminatorA(setup.Backend, setup.Seed + 2));
        return new CoganStep(generatorA, new CoganGeneratorB(setup.Backend, generatorA, setup.Seed + 1), discriminatorA,
            new CoganDiscriminatorB(setup.Backend, discriminatorA, setup.Seed + 3), setup.Optimizer, setup.Options.BatchSize);
    })
{
    TrainingData = (data, _) =>
    {
        var order = Enumerable.Range(0, data.Train.Count).ToArray();
        new Random(0).Shuffle(order); // the split is fixed, whatever the seed
        int half = order.Length / 2;
        return new UnpairedImages(data.Train.Select(order.AsSpan(0, half)), DerivedDomains.Edges(data.Train.Select(order.AsSpan(half))));
    },

    // The pairs' agreement: domain A's images turned into edges against domain B's for the same noise, and for shuffled noise.
    Evaluation = (step, data, evaluator, count) =>
    {
        var cogan = (CoganStep)step;
        var agreement = PairAgreement.Measure(cogan, count);
        Console.WriteLine($"{count:N0} pairs: {agreement}");
        return evaluator.Evaluate(agreement.ImagesA, count, []);
    },
}.Run(args);
