using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Samples;
using Pix2Pix;

// Pix2Pix's recipe (Isola et al. 2017): Adam 2e-4 with betas 0.5 and 0.999, λ 100 on the L1 term, D's loss halved.
// The task, inpainting: each training digit with a square zeroed at a random place is the input, the digit itself the
// target. Batch 64 (the paper trains with 1 to 10 images a batch), 10 epochs: the classifier reads 95.15% of the
// inpainted test digits (76.78% of the masked ones; 94.5% after 5 epochs).
return new Sample(
    "Pix2Pix",
    "trains Pix2Pix (Isola et al. 2017) to inpaint MNIST digits: a U-Net fills a zeroed square, judged by a conditional PatchGAN and L1.",
    new SampleDefaults
    {
        Epochs = 10,
        BatchSize = 64,
        GanOptions = false,
        Generates = false,
        Settings =
        [
            new SampleSetting("mask", "the side of the square zeroed in each input digit", 10, 1, 28, Whole: true),
            new SampleSetting("l1-weight", "λ, the weight of the L1 term", 100, 0, 1e6),
        ],
    },
    setup => new Pix2PixStep(new Pix2PixGenerator(setup.Backend, setup.Seed), new Pix2PixDiscriminator(setup.Backend, setup.Seed + 1),
        setup.Optimizer, setup.Options.BatchSize, (float)setup.Options.Setting("l1-weight"), Inpainting.Pairs(setup.Data.Test, setup.Options)))
{
    TrainingData = (data, options) => Inpainting.Pairs(data.Train, options),

    // The test set inpainted: its L1 to the true digits, and how many the reference classifier reads as their labels.
    Evaluation = (step, data, evaluator, count) =>
    {
        var pix2pix = (Pix2PixStep)step;
        count = Math.Min(count, data.Test.Count);
        var test = pix2pix.Shown ?? throw new InvalidOperationException("The step was made without the test pairs.");
        var labels = Enumerable.Range(0, count).Select(data.Test.GetLabel).ToArray();
        var inpainted = pix2pix.Translate(test.Inputs, count);
        var report = evaluator.Evaluate(inpainted, count, labels);
        Console.WriteLine($"{count:N0} test digits, masked: {Inpainting.Describe(test, inpainted, report, count, labels, evaluator)}");
        return report;
    },
}.Run(args);
