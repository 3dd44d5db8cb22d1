using GanDsl;
using GanDsl.Backends;
using GanDsl.Evaluation;

namespace InfoGan;

/// <summary>
/// InfoGAN's step (Chen et al. 2016): the generator's latent vector is 62 noise values, a uniform one-hot category of 10
/// and 2 codes from U(-1, 1), drawn on the device every step. The discriminator's trunk carries D's real/fake head and
/// Q's heads, which predict the category (softmax cross-entropy on logits) and the codes (mean squared error, as a
/// fixed-variance Gaussian's log-likelihood). The information loss is added to D's objective and to G's, as the paper's
/// code does, so it updates Q (and the trunk) with D, and G with G.
/// </summary>
public sealed class InfoGanStep : TrainingStep, IImageGenerator
{
    private const int Noise = 62, Categories = 10, Codes = 2;
    private readonly Network _g, _d;
    private readonly NetworkHead _validity, _category, _code;
    private readonly LatentCodes _latent;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly LossTerm _categoryTerm, _codeTerm;
    private readonly Statistic _dLoss, _gLoss, _realScore, _fakeScore, _infoLoss, _categoryAccuracy;

    /// <summary>InfoGAN of <paramref name="generator"/> (74 inputs) against <paramref name="discriminator"/> (heads <c>validity</c>, <c>category</c>, <c>code</c>).</summary>
    public InfoGanStep(Network generator, Network discriminator, OptimizerSettings generatorOptimizer, OptimizerSettings discriminatorOptimizer, int batchSize,
        float categoryWeight = 1f, float codeWeight = 0.1f)
        : base(generator?.Backend ?? throw new ArgumentNullException(nameof(generator)), batchSize)
    {
        ArgumentNullException.ThrowIfNull(discriminator);
        _g = AddNetwork("generator", generator);
        _d = AddNetwork("discriminator", discriminator);
        (_validity, _category, _code) = (discriminator.Head("validity"), discriminator.Head("category"), discriminator.Head("code"));
        if (generator.InputFeatures != Noise + Categories + Codes || _validity.Features != 1 || _category.Features != Categories || _code.Features != Codes
            || generator.OutputFeatures != discriminator.InputFeatures)
        {
            throw new ArgumentException(
                $"InfoGAN needs a generator of {Noise + Categories + Codes} inputs whose images the discriminator reads, and heads validity (1), category ({Categories}) and code ({Codes}); " +
                $"{generator.Layout.Name} takes {generator.InputFeatures} and makes {generator.OutputFeatures}, {discriminator.Layout.Name} reads {discriminator.InputFeatures} with heads {_validity}, {_category}, {_code}.");
        }

        _latent = AddLatent([LatentPart.Normal(Noise), LatentPart.Categorical(Categories), LatentPart.Uniform(Codes, -1f, 1f)]);
        _optimizerG = AddOptimizer("generator.optimizer", generatorOptimizer, generator);
        _optimizerD = AddOptimizer("discriminator.optimizer", discriminatorOptimizer, discriminator);
        (_categoryTerm, _codeTerm) = (LossTerm.SoftmaxCrossEntropy.Times(categoryWeight), LossTerm.MeanSquaredError.Times(codeWeight));
        _dLoss = AddStatistic("D loss");
        _gLoss = AddStatistic("G loss");
        _realScore = AddStatistic("D(x)", StatisticKind.Probability);
        _fakeScore = AddStatistic("D(G(z))", StatisticKind.Probability);
        _infoLoss = AddStatistic("info loss");
        _categoryAccuracy = AddStatistic("Q category acc", StatisticKind.Probability);
    }

    /// <summary>The generator.</summary>
    public Network Generator => _g;

    /// <summary>The discriminator, with Q's heads.</summary>
    public Network Discriminator => _d;

    /// <inheritdoc />
    public int ClassCount => 0;

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var (g, d) = (_g, _d);
        s.Latent(_latent, g.Input(b));
        g.Forward(b);

        // D on a real batch, then on the fakes (apart, for BatchNorm), with Q's information loss on the fakes.
        s.Images(d.Input(b));
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, _validity.Output(b), _validity.OutputGradient(b), 1f, _dLoss, _realScore);
        d.Backward(b);
        Backend.Copy(g.Output(b), d.Input(b));
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, _validity.Output(b), _validity.OutputGradient(b), 0f, _dLoss, _fakeScore);
        Information(s, b, _infoLoss, _categoryAccuracy);
        d.Backward(b, _validity | _category | _code, accumulate: true);
        s.Update(_optimizerD);

        // G through the updated D and Q: fakes called real, and their codes recovered.
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, _validity.Output(b), _validity.OutputGradient(b), 1f, _gLoss);
        Information(s, b, null, null);
        d.Backward(b, _validity | _category | _code, weightGradients: false, inputGradient: true);
        g.Backward(b, outputGradient: d.InputGradient(b));
        s.Update(_optimizerG);
    }

    // Q's losses on the fakes in D's activations: the category drawn (softmax cross-entropy, on logits) and the codes.
    private void Information(StepContext s, int b, Statistic? loss, Statistic? accuracy)
    {
        s.Loss(_categoryTerm, _category.Output(b), _category.OutputGradient(b), _latent.Code(1, b), loss, accuracy);
        s.Loss(_codeTerm, _code.Output(b), _code.OutputGradient(b), _latent.Code(2, b), loss);
    }

    /// <summary>
    /// The latent vectors of <paramref name="count"/> images: fresh noise and codes from the run's seed, row i asking for
    /// category <paramref name="category"/>(i) and first code <paramref name="code"/>(i) (null: drawn from U(-1, 1)).
    /// </summary>
    private float[] Latents(int count, Func<int, int> category, Func<int, float>? code, bool sameNoise)
    {
        const int width = Noise + Categories + Codes;
        var random = new Random(unchecked((int)Seed ^ 0x1f0a));
        var latents = new float[count * width];
        var noise = new float[Noise];
        for (int i = 0; i < count; i++)
        {
            var row = latents.AsSpan(i * width, width);
            if (i == 0 || !sameNoise)
            {
                for (int j = 0; j < Noise; j++)
                {
                    // Box-Muller: N(0, 1).
                    noise[j] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
                }
            }

            noise.CopyTo(row);
            row[Noise + category(i)] = 1f;
            for (int j = 0; j < Codes; j++)
            {
                row[Noise + Categories + j] = j == 0 && code is not null ? code(i) : (float)(2 * random.NextDouble() - 1);
            }
        }

        return latents;
    }

    /// <summary>
    /// <paramref name="count"/> images from fresh noise and codes, asking for the categories in turn (written to
    /// <paramref name="labels"/> when given: categories, not digits; which digit a category draws is learned).
    /// </summary>
    public float[] Generate(int count, Span<int> labels = default)
    {
        for (int i = 0; i < labels.Length && i < count; i++)
        {
            labels[i] = i % Categories;
        }

        return _g.Predict(Latents(count, i => i % Categories, null, sameNoise: false), count);
    }

    /// <summary>The grid: a row per category, the first continuous code from -1 to 1 along the columns, one noise vector throughout.</summary>
    public override SampleGrid Samples()
    {
        const int columns = 10;
        int count = Categories * columns;
        var images = _g.Predict(Latents(count, i => i / columns, i => -1f + 2f * (i % columns) / (columns - 1), sameNoise: true), count);
        return new SampleGrid(images, count, 28, 28, columns);
    }

    /// <summary>
    /// How pure the categories are: each category is mapped to the digit the reference classifier most often reads in
    /// its images (<paramref name="confusion"/>: category asked for against digit read); the purity is the share of
    /// images that are their category's digit. The mapping is a permutation when no two categories share a digit.
    /// </summary>
    public static (double Purity, int[] Digits, bool Permutation) CategoryPurity(ConditionalAccuracy confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        var (purity, digits) = confusion.Purity();
        return (purity, digits, digits.Distinct().Count() == digits.Length);
    }

    /// <summary>The category purity of <paramref name="count"/> generated images, scored by <paramref name="evaluator"/>; and the images' metrics.</summary>
    public (double Purity, int[] Digits, bool Permutation, MetricsReport Report) Evaluate(MnistEvaluator evaluator, int count)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        var categories = new int[count];
        var images = Generate(count, categories);
        var report = evaluator.Evaluate(images, count, categories);
        var (purity, digits, permutation) = CategoryPurity(report.Conditional!);
        return (purity, digits, permutation, report with { Conditional = null });
    }
}
