using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;

namespace DiscoGan;

/// <summary>
/// DiscoGAN's step (Kim et al. 2017) as its authors' code trains it, on two unpaired domains A and B. G_AB translates A
/// to B and G_BA back; each domain's discriminator is two networks, its features and a judge of them (one logit).
/// <list type="bullet">
/// <item>Every third step (steps 0, 3, 6, ...) the discriminators learn: real images against 1 and the translations
/// into their domain against 0 by binary cross-entropy, each half weighted 1/2.</item>
/// <item>On the other two the generators learn. Per direction, <c>(1 - rate)(0.1 GAN + 0.9 FM) + rate MSE</c>:
/// GAN is the judge's cross-entropy of the translation against 1; FM, feature matching, the mean over the features of
/// the squared difference between the batch means of D's features of real images and of translations; MSE the squared
/// error of the translation translated back to its input.</item>
/// <item>The rate is the authors' curriculum: <see cref="StartingRate"/> (0.01) for the first
/// <see cref="CurriculumSteps"/> steps, then <see cref="Rate"/> (0.5).</item>
/// </list>
/// The three kinds of step are the phases of the loop (<see cref="PhaseOf"/>), each with its constants. The sample grid
/// shows each domain's images, their translations and those translated back.
/// </summary>
public sealed class DiscoGanStep : TrainingStep
{
    /// <summary>The reconstruction's weight during the curriculum.</summary>
    public const float StartingRate = 0.01f;

    /// <summary>The reconstruction's weight after the curriculum.</summary>
    public const float Rate = 0.5f;

    private const int GridColumns = 10;
    private readonly Network _gAB, _gBA, _featuresA, _judgeA, _featuresB, _judgeB;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly DeviceBuffer _images, _means;
    private readonly LossTerm _half;
    private readonly Statistic _dLoss, _gAdversarial, _featureMatching, _reconstruction, _realA, _fakeA, _realB, _fakeB;
    private readonly UnpairedImages? _shown;
    private readonly int _features;

    /// <summary>
    /// DiscoGAN of <paramref name="generatorAB"/> and <paramref name="generatorBA"/> (images to images of one size)
    /// against domain A's discriminator, <paramref name="featuresA"/> then <paramref name="judgeA"/>, and domain B's,
    /// <paramref name="featuresB"/> then <paramref name="judgeB"/> (features to one logit); the reconstruction weighted
    /// <see cref="StartingRate"/> for the first <paramref name="curriculumSteps"/> steps; the sample grid translates the
    /// first images of <paramref name="shown"/> and back.
    /// </summary>
    public DiscoGanStep(Network generatorAB, Network generatorBA, Network featuresA, Network judgeA, Network featuresB, Network judgeB,
        OptimizerSettings optimizer, int batchSize, long curriculumSteps, UnpairedImages? shown = null)
        : base(generatorAB?.Backend ?? throw new ArgumentNullException(nameof(generatorAB)), batchSize)
    {
        ArgumentNullException.ThrowIfNull(generatorBA);
        ArgumentNullException.ThrowIfNull(featuresA);
        ArgumentNullException.ThrowIfNull(judgeA);
        ArgumentNullException.ThrowIfNull(featuresB);
        ArgumentNullException.ThrowIfNull(judgeB);
        ArgumentOutOfRangeException.ThrowIfNegative(curriculumSteps);
        int pixels = generatorAB.InputFeatures;
        if (generatorAB.OutputFeatures != pixels || generatorBA.InputFeatures != pixels || generatorBA.OutputFeatures != pixels
            || featuresA.InputFeatures != pixels || featuresB.InputFeatures != pixels || featuresA.OutputFeatures != featuresB.OutputFeatures
            || judgeA.InputFeatures != featuresA.OutputFeatures || judgeB.InputFeatures != featuresB.OutputFeatures
            || judgeA.OutputFeatures != 1 || judgeB.OutputFeatures != 1)
        {
            throw new ArgumentException(
                $"DiscoGAN needs two generators from images to images of one size, and per domain a discriminator's features of those images and a judge of them giving one logit; " +
                $"{generatorAB.Layout.Name} maps {generatorAB.InputFeatures} to {generatorAB.OutputFeatures} values, {generatorBA.Layout.Name} {generatorBA.InputFeatures} to {generatorBA.OutputFeatures}, " +
                $"{featuresA.Layout.Name} {featuresA.InputFeatures} to {featuresA.OutputFeatures} and {featuresB.Layout.Name} {featuresB.InputFeatures} to {featuresB.OutputFeatures}, " +
                $"{judgeA.Layout.Name} {judgeA.InputFeatures} to {judgeA.OutputFeatures} and {judgeB.Layout.Name} {judgeB.InputFeatures} to {judgeB.OutputFeatures}.");
        }

        _gAB = AddNetwork("generator_ab", generatorAB);
        _gBA = AddNetwork("generator_ba", generatorBA);
        _featuresA = AddNetwork("features_a", featuresA);
        _judgeA = AddNetwork("judge_a", judgeA);
        _featuresB = AddNetwork("features_b", featuresB);
        _judgeB = AddNetwork("judge_b", judgeB);

        // Context 0: a generator's translation (then its reconstruction of the other's), or D's features of real images;
        // context 1: the other direction, or D's features of translations, kept for the backward pass.
        generatorAB.EnsureContexts(2);
        generatorBA.EnsureContexts(2);
        featuresA.EnsureContexts(2);
        featuresB.EnsureContexts(2);
        _optimizerG = AddOptimizer("generators.optimizer", optimizer, generatorAB, generatorBA);
        _optimizerD = AddOptimizer("discriminators.optimizer", optimizer, featuresA, judgeA, featuresB, judgeB);
        _features = featuresA.OutputFeatures;
        _images = Backend.Allocate(2L * batchSize * pixels);
        _means = Backend.Allocate(3L * _features);
        _half = LossTerm.BinaryCrossEntropy.Times(0.5f);
        _dLoss = AddStatistic("D loss");
        _gAdversarial = AddStatistic("G adv");
        _featureMatching = AddStatistic("FM");
        _reconstruction = AddStatistic("recon");
        _realA = AddStatistic("D_A(a)", StatisticKind.Probability);
        _fakeA = AddStatistic("D_A(G_BA(b))", StatisticKind.Probability);
        _realB = AddStatistic("D_B(b)", StatisticKind.Probability);
        _fakeB = AddStatistic("D_B(G_AB(a))", StatisticKind.Probability);
        CurriculumSteps = curriculumSteps;
        _shown = shown;
    }

    /// <summary>Steps with the reconstruction weighted <see cref="StartingRate"/> (the authors': 10,000).</summary>
    public long CurriculumSteps { get; }

    /// <summary>G_AB.</summary>
    public Network GeneratorAB => _gAB;

    /// <summary>G_BA.</summary>
    public Network GeneratorBA => _gBA;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["loss"] = $"D on every third step; G: (1 - rate)(0.1 GAN + 0.9 feature matching) + rate MSE reconstruction, rate {StartingRate} for {CurriculumSteps} steps, then {Rate}",
    };

    /// <summary>Phase 0: the discriminators learn (every third step); 1: the generators, in the curriculum; 2: after it.</summary>
    public override int PhaseOf(long stepsTaken) => stepsTaken % 3 == 0 ? 0 : stepsTaken < CurriculumSteps ? 1 : 2;

    /// <inheritdoc />
    public override void CheckData(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.RequireTwoDomains("DiscoGAN", _gAB.InputFeatures);
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize, pixels = _gAB.InputFeatures;
        var (a, bImages) = (_images.View(0, b, pixels), _images.View((long)b * pixels, b, pixels));
        s.Images(a, domain: 0);
        s.Images(bImages, domain: 1);
        bool discriminators = s.Phase == 0;
        Translate(_gAB, _gBA, a, context: 0, andBack: !discriminators);
        Translate(_gBA, _gAB, bImages, context: 1, andBack: !discriminators);
        if (discriminators)
        {
            Judge(s, _featuresA, _judgeA, a, Output(_gBA, 1), _realA, _fakeA);
            Judge(s, _featuresB, _judgeB, bImages, Output(_gAB, 0), _realB, _fakeB);
            s.Update(_optimizerD);
            return;
        }

        float rate = s.Phase == 1 ? StartingRate : Rate;
        Direction(s, _gAB, _gBA, _featuresB, _judgeB, a, bImages, 0, rate, accumulate: false);
        Direction(s, _gBA, _gAB, _featuresA, _judgeA, bImages, a, 1, rate, accumulate: true);
        s.Update(_optimizerG);
    }

    // forth(input), then (andBack) back(forth(input)), both in the activation context given.
    private void Translate(Network forth, Network back, Tensor input, int context, bool andBack)
    {
        int b = BatchSize;
        forth.Context = context;
        back.Context = context;
        Backend.Copy(input, forth.Input(b));
        forth.Forward(b);
        if (andBack)
        {
            Backend.Copy(forth.Output(b), back.Input(b));
            back.Forward(b);
        }
    }

    private Tensor Output(Network g, int context)
    {
        g.Context = context;
        return g.Output(BatchSize);
    }

    // D learns its real images against 1 and the translations into its domain against 0, each half weighted 1/2.
    private void Judge(StepContext s, Network features, Network judge, Tensor real, Tensor fake, Statistic realScore, Statistic fakeScore)
    {
        int b = BatchSize;
        features.Context = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            bool isReal = pass == 0;
            Backend.Copy(isReal ? real : fake, features.Input(b));
            features.Forward(b);
            Backend.Copy(features.Output(b), judge.Input(b));
            judge.Forward(b);
            s.Loss(_half, judge.Output(b), judge.OutputGradient(b), isReal ? 1f : 0f, _dLoss, isReal ? realScore : fakeScore);
            judge.Backward(b, inputGradient: true, accumulate: !isReal);
            features.Backward(b, outputGradient: judge.InputGradient(b), accumulate: !isReal);
        }
    }

    // One direction's generator terms: forth translates input into the other domain, back reconstructs it; other is a
    // batch of real images of the other domain, for the feature means. The gradients reach forth through both paths.
    private void Direction(StepContext s, Network forth, Network back, Network features, Network judge, Tensor input, Tensor other,
        int context, float rate, bool accumulate)
    {
        int b = BatchSize;
        var (realSums, fakeSums, gradient) = (_means.View(0, 1, _features), _means.View(_features, 1, _features), _means.View(2L * _features, 1, _features));

        // D's features of the other domain's real images, summed over the batch.
        features.Context = 0;
        Backend.Copy(other, features.Input(b));
        features.Forward(b);
        Backend.BiasGradient(features.Output(b), realSums, accumulate: false);

        // The translation through D: the GAN term through the judge, then feature matching. The mean squared error of
        // the sums, over b², is that of the means; its gradient reaches every row of the batch alike (AddBias).
        forth.Context = context;
        back.Context = context;
        features.Context = 1;
        Backend.Copy(forth.Output(b), features.Input(b));
        features.Forward(b);
        Backend.Copy(features.Output(b), judge.Input(b));
        judge.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy.Times(0.1f * (1 - rate)), judge.Output(b), judge.OutputGradient(b), 1f, _gAdversarial);
        judge.Backward(b, weightGradients: false, inputGradient: true);
        Backend.BiasGradient(features.Output(b), fakeSums, accumulate: false);
        s.Loss(LossTerm.MeanSquaredError.Times(0.9f * (1 - rate) / (b * (float)b)), fakeSums, gradient, realSums, _featureMatching);
        Backend.Copy(judge.InputGradient(b), features.OutputGradient(b));
        Backend.AddBias(features.OutputGradient(b), gradient);
        features.Backward(b, weightGradients: false, inputGradient: true);

        // The reconstruction, its squared error weighted by the rate.
        s.Loss(LossTerm.MeanSquaredError.Times(rate), back.Output(b), back.OutputGradient(b), input, _reconstruction);
        back.Backward(b, inputGradient: true, accumulate: accumulate);
        Backend.Add(features.InputGradient(b), back.InputGradient(b));
        forth.Backward(b, outputGradient: back.InputGradient(b), accumulate: accumulate);
    }

    /// <summary>Six rows of ten: A's images, G_AB's translations, and those translated back; then the same from B.</summary>
    public override SampleGrid? Samples() => _shown is null ? null : SampleGrid.OfTranslations(_shown, _gAB, _gBA, GridColumns);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _images.Dispose();
            _means.Dispose();
        }

        base.Dispose(disposing);
    }
}
