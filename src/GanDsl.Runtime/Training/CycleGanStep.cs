using GanDsl.Backends;
using GanDsl.Data;

namespace GanDsl;

/// <summary>
/// The weights and settings of <see cref="CycleGanStep"/>'s objective. The defaults are the CycleGAN authors'; DiscoGAN's
/// (Kim et al. 2017) are binary cross-entropy, a mean-squared reconstruction, no identity term and no pool, and a
/// curriculum: <c>0.99 GAN + 0.01 reconstruction</c> for 10,000 steps, then <c>0.5 + 0.5</c>. The authors' code also
/// matches the discriminator's features and updates it on every third step only: samples/DiscoGan's own step does both.
/// </summary>
public sealed record CycleGanOptions
{
    /// <summary>Images a batch, per domain.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>The least-squares objective (true: the discriminators' outputs against 1 and 0), or binary cross-entropy on logits.</summary>
    public bool LeastSquares { get; init; } = true;

    /// <summary>The weight of each generator's adversarial term (1).</summary>
    public float AdversarialWeight { get; init; } = 1f;

    /// <summary>The cycle-consistency loss, before its weight: <see cref="LossTerm.L1"/> (CycleGAN) or <see cref="LossTerm.MeanSquaredError"/> (DiscoGAN).</summary>
    public LossTerm Cycle { get; init; } = LossTerm.L1;

    /// <summary>The weight of each cycle-consistency term, λ (10).</summary>
    public float CycleWeight { get; init; } = 10f;

    /// <summary>Steps at the start weighted <see cref="WarmUpAdversarialWeight"/> and <see cref="WarmUpCycleWeight"/> instead (0: none).</summary>
    public long WarmUpSteps { get; init; }

    /// <summary>The adversarial terms' weight during <see cref="WarmUpSteps"/>.</summary>
    public float WarmUpAdversarialWeight { get; init; } = 1f;

    /// <summary>The cycle terms' weight during <see cref="WarmUpSteps"/>.</summary>
    public float WarmUpCycleWeight { get; init; } = 10f;

    /// <summary>The weight of each identity L1 term (the authors' λ times 0.5: 5); 0 leaves the identity passes out.</summary>
    public float IdentityWeight { get; init; } = 5f;

    /// <summary>Past fakes each discriminator draws from (<see cref="Backend.ImagePool"/>; 50); 0 shows it this step's fakes only.</summary>
    public int PoolSize { get; init; } = 50;

    /// <summary>Epochs at the full learning rate before it falls linearly to zero at <see cref="LastEpoch"/>; null keeps it constant.</summary>
    public int? DecayFrom { get; init; }

    /// <summary>The epoch after which the learning rate reaches zero, with <see cref="DecayFrom"/>.</summary>
    public int LastEpoch { get; init; }
}

/// <summary>
/// CycleGAN's step (Zhu et al. 2017) on two unpaired domains A and B, and DiscoGAN's (Kim et al. 2017) with its options
/// (<see cref="CycleGanOptions"/>). G_AB translates A to B and G_BA back; D_A and D_B are discriminators of any number of
/// logits an image (PatchGAN's grid, or one), least-squares or cross-entropy. The generators learn together on, per
/// direction, the adversarial term (D of the translation against 1), λ times the cycle loss of the translation
/// translated back to its input (L1 by default), and the identity term, L1 of G_AB(b) to b and G_BA(a) to a; then each
/// discriminator learns on its real images (against 1) and on translations into its domain drawn through an image pool
/// (against 0), each half weighted 1/2. Each generator runs three times a step: its identity pass first, the backward
/// pass taken at once, then the two translate-and-reconstruct chains, each in an activation context of its own. The
/// learning rate may fall linearly to zero over the last epochs (<see cref="CycleGanOptions.DecayFrom"/>), as the
/// authors train.
/// </summary>
public sealed class CycleGanStep : TrainingStep
{
    private const int GridColumns = 10;
    private readonly Network _gAB, _gBA, _dA, _dB;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly DeviceBuffer _images, _pools, _draws;
    private readonly DeviceScalar? _filledA, _filledB;
    private readonly LossTerm _adversarial, _identityTerm, _halfTerm;
    private readonly Statistic _dLoss, _gLoss, _cycle, _identity, _realA, _fakeA, _realB, _fakeB;
    private readonly UnpairedImages? _shown;

    /// <summary>
    /// CycleGAN of <paramref name="generatorAB"/> and <paramref name="generatorBA"/> (images to images of one shape)
    /// against <paramref name="discriminatorA"/> and <paramref name="discriminatorB"/> (images to logits); the sample grid
    /// translates the first images of <paramref name="shown"/> and back.
    /// </summary>
    public CycleGanStep(Network generatorAB, Network generatorBA, Network discriminatorA, Network discriminatorB, OptimizerSettings optimizer,
        CycleGanOptions options, UnpairedImages? shown = null)
        : base(generatorAB?.Backend ?? throw new ArgumentNullException(nameof(generatorAB)), options?.BatchSize ?? throw new ArgumentNullException(nameof(options)))
    {
        ArgumentNullException.ThrowIfNull(generatorBA);
        ArgumentNullException.ThrowIfNull(discriminatorA);
        ArgumentNullException.ThrowIfNull(discriminatorB);
        if (!IsWeight(options.CycleWeight) || !IsWeight(options.IdentityWeight) || !IsWeight(options.AdversarialWeight) || !IsWeight(options.WarmUpCycleWeight)
            || !IsWeight(options.WarmUpAdversarialWeight) || options.WarmUpSteps < 0 || options.PoolSize < 0
            || (options.DecayFrom is { } from && (from < 0 || options.LastEpoch <= from)))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options,
                "CycleGAN's weights are finite numbers of 0 or more, its pool and warm-up sizes of 0 or more, and a decay must end after it starts.");
        }

        int pixels = generatorAB.InputFeatures;
        if (generatorAB.OutputFeatures != pixels || generatorBA.InputFeatures != pixels || generatorBA.OutputFeatures != pixels
            || discriminatorA.InputFeatures != pixels || discriminatorB.InputFeatures != pixels || discriminatorA.OutputFeatures != discriminatorB.OutputFeatures)
        {
            throw new ArgumentException(
                $"CycleGAN needs two generators from images to images of one size, and two discriminators of them with as many logits each; " +
                $"{generatorAB.Layout.Name} maps {generatorAB.InputFeatures} to {generatorAB.OutputFeatures} values, {generatorBA.Layout.Name} {generatorBA.InputFeatures} to {generatorBA.OutputFeatures}, " +
                $"{discriminatorA.Layout.Name} reads {discriminatorA.InputFeatures} and gives {discriminatorA.OutputFeatures}, {discriminatorB.Layout.Name} reads {discriminatorB.InputFeatures} and gives {discriminatorB.OutputFeatures}.");
        }

        int b = options.BatchSize;
        _gAB = AddNetwork("generator_ab", generatorAB);
        _gBA = AddNetwork("generator_ba", generatorBA);
        _dA = AddNetwork("discriminator_a", discriminatorA);
        _dB = AddNetwork("discriminator_b", discriminatorB);
        generatorAB.EnsureContexts(2);
        generatorBA.EnsureContexts(2);
        _optimizerG = AddOptimizer("generators.optimizer", optimizer, generatorAB, generatorBA);
        _optimizerD = AddOptimizer("discriminators.optimizer", optimizer, discriminatorA, discriminatorB);
        if (options.DecayFrom is { } first)
        {
            _optimizerG.Schedule = LearningRateSchedule.LinearDecay(first, options.LastEpoch);
            _optimizerD.Schedule = LearningRateSchedule.LinearDecay(first, options.LastEpoch);
        }

        _images = Backend.Allocate(2L * b * pixels);
        _pools = Backend.Allocate(Math.Max(1, 2L * options.PoolSize * pixels));
        _draws = Backend.Allocate(4L * b);
        if (options.PoolSize > 0)
        {
            // Not in checkpoints, as the authors' pool: a resumed run fills it again.
            _filledA = AddScalar("pool_a", checkpointed: false);
            _filledB = AddScalar("pool_b", checkpointed: false);
        }

        _identityTerm = LossTerm.L1.Times(options.IdentityWeight);
        _adversarial = options.LeastSquares ? LossTerm.MeanSquaredError : LossTerm.BinaryCrossEntropy;
        _halfTerm = _adversarial.Times(0.5f);
        var scores = options.LeastSquares ? StatisticKind.Score : StatisticKind.Probability;
        _dLoss = AddStatistic("D loss");
        _gLoss = AddStatistic("G adv");
        _cycle = AddStatistic("cycle");
        _identity = AddStatistic("identity");
        _realA = AddStatistic("D_A(a)", scores);
        _fakeA = AddStatistic("D_A(G_BA(b))", scores);
        _realB = AddStatistic("D_B(b)", scores);
        _fakeB = AddStatistic("D_B(G_AB(a))", scores);
        Options = options;
        _shown = shown;

        static bool IsWeight(float w) => w >= 0f && float.IsFinite(w);
    }

    /// <summary>The objective's settings.</summary>
    public CycleGanOptions Options { get; }

    /// <summary>G_AB.</summary>
    public Network GeneratorAB => _gAB;

    /// <summary>G_BA.</summary>
    public Network GeneratorBA => _gBA;

    /// <summary>The images the sample grid translates.</summary>
    public UnpairedImages? Shown => _shown;

    /// <summary>Phase 0 during the warm-up, 1 after: the terms' weights are each phase's constants.</summary>
    public override int PhaseOf(long stepsTaken) => stepsTaken < Options.WarmUpSteps ? 0 : 1;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["loss"] = $"per direction {Objective(Options.AdversarialWeight, Options.CycleWeight)} + {Options.IdentityWeight:0.###} identity L1" +
            (Options.WarmUpSteps > 0 ? $", the first {Options.WarmUpSteps:N0} steps {Objective(Options.WarmUpAdversarialWeight, Options.WarmUpCycleWeight)}" : ""),
        ["pool"] = Options.PoolSize == 0 ? "none" : $"{Options.PoolSize} past fakes per discriminator",
        ["schedule"] = _optimizerG.Schedule.ToString()!,
    };

    private string Objective(float adversarial, float cycle) =>
        $"{adversarial:0.###} {(Options.LeastSquares ? "least-squares" : "cross-entropy")} GAN + {cycle:0.###} cycle {(Options.Cycle.Kind == LossKind.AbsoluteError ? "L1" : Options.Cycle.Kind.ToString())}";

    /// <summary>Refuses data that is not two domains of the generators' images.</summary>
    public override void CheckData(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.RequireTwoDomains("CycleGAN", _gAB.InputFeatures);
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize, pixels = _gAB.InputFeatures;
        var (gAB, gBA, dA, dB) = (_gAB, _gBA, _dA, _dB);
        var (a, bImages) = (_images.View(0, b, pixels), _images.View((long)b * pixels, b, pixels));
        s.Images(a, domain: 0);
        s.Images(bImages, domain: 1);

        // The identity terms, each pass's gradient taken at once: G_BA(a) to a, G_AB(b) to b. They write the gradients.
        bool identity = Options.IdentityWeight > 0f;
        if (identity)
        {
            Identity(s, gBA, a);
            Identity(s, gAB, bImages);
        }
        else
        {
            s.Touch(_identity);
        }

        // Context 0: a -> G_AB(a) -> G_BA(G_AB(a)); context 1: b -> G_BA(b) -> G_AB(G_BA(b)).
        bool warmUp = s.Phase == 0 && Options.WarmUpSteps > 0;
        var adversarial = _adversarial.Times(warmUp ? Options.WarmUpAdversarialWeight : Options.AdversarialWeight);
        var cycle = Options.Cycle.Times(warmUp ? Options.WarmUpCycleWeight : Options.CycleWeight);
        Translate(gAB, gBA, a, context: 0);
        Translate(gBA, gAB, bImages, context: 1);
        Direction(s, gAB, gBA, dB, a, context: 0, adversarial, cycle, accumulate: identity);
        Direction(s, gBA, gAB, dA, bImages, context: 1, adversarial, cycle, accumulate: true);
        s.Update(_optimizerG);

        // Each discriminator: its real images against 1, then translations into its domain, through the pool, against 0.
        Discriminate(s, dA, a, Output(gBA, 1), _filledA, 0, draw: 0, _realA, _fakeA);
        Discriminate(s, dB, bImages, Output(gAB, 0), _filledB, 1, draw: 1, _realB, _fakeB);
        s.Update(_optimizerD);
    }

    private void Identity(StepContext s, Network g, Tensor input)
    {
        int b = BatchSize;
        g.Context = 0;
        Backend.Copy(input, g.Input(b));
        g.Forward(b);
        s.Loss(_identityTerm, g.Output(b), g.OutputGradient(b), input, _identity);
        g.Backward(b);
    }

    private void Translate(Network forth, Network back, Tensor input, int context)
    {
        int b = BatchSize;
        forth.Context = context;
        back.Context = context;
        Backend.Copy(input, forth.Input(b));
        forth.Forward(b);
        Backend.Copy(forth.Output(b), back.Input(b));
        back.Forward(b);
    }

    // One direction of the generators' objective: forth's translation called real by judge, and back's reconstruction
    // of input from it; both gradients reach forth's output. Without accumulate, the generators' gradients are written.
    private void Direction(StepContext s, Network forth, Network back, Network judge, Tensor input, int context, LossTerm adversarial, LossTerm cycle, bool accumulate)
    {
        int b = BatchSize;
        forth.Context = context;
        back.Context = context;
        Backend.Copy(forth.Output(b), judge.Input(b));
        judge.Forward(b);
        s.Loss(adversarial, judge.Output(b), judge.OutputGradient(b), 1f, _gLoss);
        judge.Backward(b, weightGradients: false, inputGradient: true);
        s.Loss(cycle, back.Output(b), back.OutputGradient(b), input, _cycle);
        back.Backward(b, inputGradient: true, accumulate: accumulate);
        Backend.Add(judge.InputGradient(b), back.InputGradient(b));
        forth.Backward(b, outputGradient: back.InputGradient(b), accumulate: accumulate);
    }

    private Tensor Output(Network g, int context)
    {
        g.Context = context;
        return g.Output(BatchSize);
    }

    private void Discriminate(StepContext s, Network d, Tensor real, Tensor fake, DeviceScalar? filled, int pool, int draw, Statistic realScore, Statistic fakeScore)
    {
        int b = BatchSize, pixels = _gAB.InputFeatures;
        Backend.Copy(real, d.Input(b));
        d.Forward(b);
        s.Loss(_halfTerm, d.Output(b), d.OutputGradient(b), 1f, _dLoss, realScore);
        d.Backward(b);
        Backend.Copy(fake, d.Input(b));
        if (filled is not null)
        {
            var draws = _draws.View(2L * pool * b, b, 2);
            s.Uniform(draws, 0f, 1f, draw);
            Backend.ImagePool(d.Input(b), _pools.View((long)pool * Options.PoolSize * pixels, Options.PoolSize, pixels), draws, filled.Tensor);
        }

        d.Forward(b);
        s.Loss(_halfTerm, d.Output(b), d.OutputGradient(b), 0f, _dLoss, fakeScore);
        d.Backward(b, accumulate: true);
    }

    /// <summary>
    /// G_AB's translations of the first <paramref name="count"/> images of <paramref name="a"/> and G_BA's of
    /// <paramref name="b"/>, in evaluation mode: two (count, pixels) arrays in [-1, 1].
    /// </summary>
    public (float[] AB, float[] BA) Translate(ImageDataset a, ImageDataset b, int count)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return (Translate(_gAB, a, count), Translate(_gBA, b, count));
    }

    /// <summary>
    /// <paramref name="g"/> (<see cref="GeneratorAB"/> or <see cref="GeneratorBA"/>) over the first
    /// <paramref name="count"/> of <paramref name="images"/>, in evaluation mode: (count, pixels) floats in [-1, 1].
    /// </summary>
    public float[] Translate(Network g, ImageDataset images, int count)
    {
        ArgumentNullException.ThrowIfNull(g);
        g.Context = 0;
        return g.Predict(images, count);
    }

    /// <summary><paramref name="g"/> over <paramref name="count"/> images given as (count, pixels) floats in [-1, 1], in evaluation mode.</summary>
    public float[] Translate(Network g, float[] images, int count)
    {
        ArgumentNullException.ThrowIfNull(g);
        g.Context = 0;
        return g.Predict(images, count);
    }

    /// <summary>Six rows of ten: A's images, G_AB's translations, and those translated back; then the same from B.</summary>
    public override SampleGrid? Samples() => _shown is null ? null : SampleGrid.OfTranslations(_shown, _gAB, _gBA, GridColumns);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _images.Dispose();
            _pools.Dispose();
            _draws.Dispose();
        }

        base.Dispose(disposing);
    }
}
