using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;

namespace Aae;

/// <summary>
/// The adversarial autoencoder's step (Makhzani et al. 2015) as PyTorch-GAN's aae.py trains it. The encoder's heads
/// <c>mu</c> and <c>logvar</c> give q(z|x), drawn with the reparameterisation trick; the decoder reconstructs the image
/// from the draw. The encoder and decoder learn together on <c>(1 - w) L1(decoder(z), x) + w BCE(D(z), real)</c>, the
/// adversarial weight w 0.001; then D learns to tell draws of the prior N(0, I) (real) from the encoder's codes (fake),
/// each half of its loss weighted 1/2. Matching the codes to the prior makes the decoder a generator: its images of
/// N(0, I) draws are the sample grid, and what <c>eval</c> scores.
/// </summary>
public sealed class AaeStep : GeneratorStep
{
    private readonly Network _encoder, _d;
    private readonly NetworkHead _mean, _logVariance;
    private readonly Optimizer _optimizerAutoencoder, _optimizerD;
    private readonly DeviceBuffer _noise;
    private readonly LossTerm _reconstructionTerm, _adversarialTerm, _discriminatorTerm;
    private readonly Statistic _reconstruction, _adversarial, _dLoss, _priorScore, _codeScore;

    /// <summary>
    /// The AAE of <paramref name="encoder"/> (heads <c>mu</c> and <c>logvar</c>), <paramref name="decoder"/> and
    /// <paramref name="discriminator"/> (one logit), the adversarial term weighted <paramref name="adversarialWeight"/>.
    /// </summary>
    public AaeStep(Network encoder, Network decoder, Network discriminator, OptimizerSettings optimizer, int batchSize, float adversarialWeight = 0.001f)
        : base(decoder, batchSize, sampleCount: 100, sampleColumns: 10)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(discriminator);
        if (!(adversarialWeight is >= 0f and <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(adversarialWeight), adversarialWeight, "The adversarial weight is a share of the loss, in [0, 1].");
        }

        _encoder = AddNetwork("encoder", encoder);
        _d = AddNetwork("discriminator", discriminator, rows: 2 * batchSize);
        (_mean, _logVariance) = (encoder.Head("mu"), encoder.Head("logvar"));
        int code = decoder.InputFeatures;
        if (_mean.Features != code || _logVariance.Features != code || discriminator.InputFeatures != code || discriminator.OutputFeatures != 1
            || encoder.InputFeatures != decoder.OutputFeatures)
        {
            throw new ArgumentException(
                $"An AAE needs an encoder of images to 'mu' and 'logvar' heads as wide as the decoder's code, a decoder back to images, and a one-logit discriminator of codes; " +
                $"{encoder.Layout.Name} reads {encoder.InputFeatures} and gives {_mean} and {_logVariance}, {decoder.Layout.Name} reads {code} and makes {decoder.OutputFeatures}, " +
                $"{discriminator.Layout.Name} reads {discriminator.InputFeatures} and gives {discriminator.OutputFeatures}.");
        }

        _optimizerAutoencoder = AddOptimizer("autoencoder.optimizer", optimizer, encoder, decoder);
        _optimizerD = AddOptimizer("discriminator.optimizer", optimizer, discriminator);
        _noise = Backend.Allocate((long)batchSize * code);
        _reconstructionTerm = LossTerm.L1.Times(1f - adversarialWeight);
        _adversarialTerm = LossTerm.BinaryCrossEntropy.Times(adversarialWeight);
        _discriminatorTerm = LossTerm.BinaryCrossEntropy.Times(0.5f);
        _reconstruction = AddStatistic("L1");
        _adversarial = AddStatistic("G adv");
        _dLoss = AddStatistic("D loss");
        _priorScore = AddStatistic("D(prior)", StatisticKind.Probability);
        _codeScore = AddStatistic("D(q(z|x))", StatisticKind.Probability);
        AdversarialWeight = adversarialWeight;
    }

    /// <summary>The encoder.</summary>
    public Network Encoder => _encoder;

    /// <summary>The discriminator of codes.</summary>
    public Network Discriminator => _d;

    /// <summary>The adversarial term's share of the autoencoder's loss.</summary>
    public float AdversarialWeight { get; }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["loss"] = $"{1f - AdversarialWeight:0.###} L1 + {AdversarialWeight:0.###} adversarial",
        ["code"] = $"{Generator.InputFeatures} values, prior N(0, I)",
    };

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var (encoder, decoder, d) = (_encoder, Generator, _d);
        var codes = d.Input(2 * b); // rows [0, b): the encoder's draws (fake); [b, 2b): the prior's (real)
        var noise = _noise.View(0, b, decoder.InputFeatures);

        // z ~ q(z|x), into D's first rows and the decoder's input.
        s.Images(encoder.Input(b));
        encoder.Forward(b);
        s.Normal(noise);
        Backend.Reparameterize(_mean.Output(b), _logVariance.Output(b), noise, codes.Slice(0, b));
        Backend.Copy(codes.Slice(0, b), decoder.Input(b));

        // The autoencoder: reconstruction through the decoder, "real" through D; both gradients meet at z.
        decoder.Forward(b);
        s.Loss(_reconstructionTerm, decoder.Output(b), decoder.OutputGradient(b), encoder.Input(b), _reconstruction);
        decoder.Backward(b, inputGradient: true);
        d.Forward(b);
        s.Loss(_adversarialTerm, d.Output(b), d.OutputGradient(b), 1f, _adversarial);
        d.Backward(b, weightGradients: false, inputGradient: true);
        var codeGradient = decoder.InputGradient(b);
        Backend.Add(d.InputGradient(b), codeGradient);
        Backend.ReparameterizeBackward(codeGradient, _logVariance.Output(b), noise, _mean.OutputGradient(b), _logVariance.OutputGradient(b));
        encoder.Backward(b, _mean | _logVariance);
        s.Update(_optimizerAutoencoder);

        // D: the prior's draws against the same codes.
        s.Normal(codes.Slice(b, b), draw: 1);
        d.Forward(2 * b);
        Backend.Loss(LossKind.BinaryCrossEntropy, new LossOperands(d.Output(2 * b), d.OutputGradient(2 * b)),
            s.Segment(_discriminatorTerm, b, 1, 0f, _dLoss, _codeScore),
            s.Segment(_discriminatorTerm, b, 1, 1f, _dLoss, _priorScore));
        d.Backward(2 * b);
        s.Update(_optimizerD);
    }

    /// <summary>
    /// Codes of the first <paramref name="count"/> images of <paramref name="images"/>, drawn from q(z|x) with the
    /// encoder in evaluation mode (BatchNorm's running statistics), noise from <paramref name="seed"/>: (count, code) floats.
    /// </summary>
    public float[] Encode(ImageDataset images, int count, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        int code = Generator.InputFeatures;
        var codes = new float[(long)count * code];
        var (mean, logVariance) = (new float[_encoder.Capacity * code], new float[_encoder.Capacity * code]);
        var random = new Random(seed);
        _encoder.ForwardImages(images, count, (first, rows) =>
        {
            Backend.Download(_mean.Output(rows), mean.AsSpan(0, rows * code));
            Backend.Download(_logVariance.Output(rows), logVariance.AsSpan(0, rows * code));
            for (int i = 0; i < rows * code; i++)
            {
                codes[(long)first * code + i] = mean[i] + MathF.Exp(0.5f * logVariance[i]) * (float)StandardNormal(random);
            }
        });
        return codes;
    }

    private static double StandardNormal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _noise.Dispose();
        }

        base.Dispose(disposing);
    }
}
