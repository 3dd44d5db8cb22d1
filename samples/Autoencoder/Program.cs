using GanDsl;
using Autoencoder;
using GanDsl.Backends;
using GanDsl.Samples;

// Keras' tutorial: Adam with Keras' defaults (learning rate 1e-3, betas 0.9 and 0.999, epsilon 1e-7), binary
// cross-entropy, batch 256, 50 epochs.
return new Sample(
    "Autoencoder",
    "trains the 784-32-784 autoencoder of Keras' tutorial on MNIST: test digits above their reconstructions.",
    new SampleDefaults
    {
        Epochs = 50,
        BatchSize = 256,
        LearningRate = 1e-3,
        Optimizer = lr => new AdamSettings(lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7),
        GanOptions = false,
        Generates = false,
    },
    setup => new AutoencoderStep(new MnistAutoencoder(setup.Backend, setup.Seed), setup.Optimizer,
        setup.Options.BatchSize, setup.Data.Test))
{
    // Reconstructions of test images: their cross-entropy, and how many the reference classifier reads as the digit shown.
    Evaluation = (step, data, evaluator, count) =>
    {
        var autoencoder = (AutoencoderStep)step;
        count = Math.Min(count, data.Test.Count);
        var (crossEntropy, reconstructions) = autoencoder.Evaluate(data.Test, count);
        Console.WriteLine($"reconstruction of {count:N0} test images: per-pixel binary cross-entropy {crossEntropy:F4}");
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = data.Test.GetLabel(i);
        }

        var images = reconstructions.Select(p => 2f * p - 1f).ToArray();
        return evaluator.Evaluate(images, count, labels);
    },
}.Run(args);
