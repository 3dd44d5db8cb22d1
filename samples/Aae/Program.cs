using GanDsl;
using Aae;
using GanDsl.Backends;
using GanDsl.Samples;

// PyTorch-GAN's aae.py: Adam 2e-4 with betas 0.5 and 0.999, batch 64, a 10-value code, 0.999 L1 + 0.001 adversarial;
// it trains 200 epochs, the default here is 20. The sample grid decodes draws of the prior N(0, I).
return new Sample(
    "Aae",
    "trains the adversarial autoencoder (Makhzani et al.) on MNIST: the encoder's codes are pushed to N(0, I), so the decoder draws digits from noise.",
    new SampleDefaults
    {
        Epochs = 20,
        BatchSize = 64,
        GanOptions = false,
    },
    setup => new AaeStep(new AaeEncoder(setup.Backend, setup.Seed), new AaeDecoder(setup.Backend, setup.Seed + 1),
        new AaeDiscriminator(setup.Backend, setup.Seed + 2), setup.Optimizer, setup.Options.BatchSize))
{
    // How close the test set's codes come to the prior, then the decoder's images of prior draws, scored.
    Evaluation = (step, data, evaluator, count) =>
    {
        var aae = (AaeStep)step;
        var codes = CodeStatistics.Of(aae.Encode(data.Test, data.Test.Count), aae.Generator.InputFeatures);
        Console.WriteLine($"codes of the {data.Test.Count:N0} test images, per dimension: {codes}");
        return evaluator.Evaluate(aae.Generate(count), count, []);
    },
}.Run(args);
