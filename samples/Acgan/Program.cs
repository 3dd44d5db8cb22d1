using GanDsl;
using Acgan;
using GanDsl.Backends;
using GanDsl.Samples;

// Keras' mnist_acgan: Adam 2e-4 with beta1 0.5, batch 100, soft real labels (0.95), the class loss on real images;
// noise N(0, 1) (Keras draws U(-1, 1); PyTorch ports, and GanDsl's sampler, use the normal). The sample grid has one
// row per digit.
return new Sample(
    "Acgan",
    "trains ACGAN (Odena et al. 2017) on MNIST, Keras' mnist_acgan recipe: ask for a digit, and D learns to classify them.",
    new SampleDefaults
    {
        Epochs = 2,
        BatchSize = 100,
        GanOptions = false,
    },
    setup => new AcganStep(new AcganGenerator(setup.Backend, setup.Seed), new AcganDiscriminator(setup.Backend, setup.Seed + 1),
        setup.Optimizer, setup.Options.BatchSize))
{
    // The generated digits' metrics (asked for = produced among them), and D's class head as a classifier of the real test set.
    Evaluation = (step, data, evaluator, count) =>
    {
        var acgan = (AcganStep)step;
        Console.WriteLine($"D's class head on the {data.Test.Count:N0} real test images: {acgan.ClassAccuracy(data.Test, data.Test.Count):P2} correct");
        var labels = new int[count];
        var images = acgan.Generate(count, labels);
        return evaluator.Evaluate(images, count, labels);
    },
}.Run(args);
