using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;

namespace Pix2Pix;

/// <summary>
/// Pix2Pix's step (Isola et al. 2017) on pairs (domain 0 the input, domain 1 its target). D, a conditional PatchGAN, sees
/// (input, image) stacked as channels and learns to call (input, target) real and (input, G(input)) fake, every patch
/// logit by binary cross-entropy, the two halves weighted 1/2, in two passes (its BatchNorm sees fakes apart from
/// reals). G then learns through D to be called real, plus <c>λ L1(G(input), target)</c> (λ 100). The sample grid
/// shows inputs, G's outputs and targets, row by row.
/// </summary>
public sealed class Pix2PixStep : TrainingStep
{
    private const int GridColumns = 10;
    private readonly Network _g, _d;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly DeviceBuffer _target;
    private readonly LossTerm _half, _l1Term;
    private readonly Statistic _dLoss, _gAdversarial, _l1, _realScore, _fakeScore;
    private readonly PairedImages? _shown;

    /// <summary>
    /// Pix2Pix of <paramref name="generator"/> (image to image of the same size) against <paramref name="discriminator"/>
    /// (reading both stacked as channels); the L1 term weighted <paramref name="l1Weight"/>; the sample grid translates
    /// the first pairs of <paramref name="shown"/>.
    /// </summary>
    public Pix2PixStep(Network generator, Network discriminator, OptimizerSettings optimizer, int batchSize, float l1Weight = 100f, PairedImages? shown = null)
        : base(generator?.Backend ?? throw new ArgumentNullException(nameof(generator)), batchSize)
    {
        ArgumentNullException.ThrowIfNull(discriminator);
        if (!(l1Weight >= 0f) || float.IsInfinity(l1Weight))
        {
            throw new ArgumentOutOfRangeException(nameof(l1Weight), l1Weight, "The L1 weight is a finite number of 0 or more.");
        }

        var (input, output) = (generator.Layout.Slots[0], generator.Layout.OutputShape);
        var seen = discriminator.Layout.Slots[0];
        if (input != output || seen.Height != input.Height || seen.Width != input.Width || seen.Channels != 2 * input.Channels)
        {
            throw new ArgumentException(
                $"Pix2Pix needs a generator from images to images of the same shape, and a discriminator of the two stacked as channels; " +
                $"{generator.Layout.Name} maps {input} to {output}, {discriminator.Layout.Name} reads {seen}.");
        }

        _g = AddNetwork("generator", generator);
        _d = AddNetwork("discriminator", discriminator);
        _optimizerG = AddOptimizer("generator.optimizer", optimizer, generator);
        _optimizerD = AddOptimizer("discriminator.optimizer", optimizer, discriminator);
        _target = Backend.Allocate((long)batchSize * generator.OutputFeatures);
        _half = LossTerm.BinaryCrossEntropy.Times(0.5f);
        _l1Term = LossTerm.L1.Times(l1Weight);
        _dLoss = AddStatistic("D loss");
        _gAdversarial = AddStatistic("G adv");
        _l1 = AddStatistic("L1");
        _realScore = AddStatistic("D(x, y)", StatisticKind.Probability);
        _fakeScore = AddStatistic("D(x, G(x))", StatisticKind.Probability);
        L1Weight = l1Weight;
        _shown = shown;
    }

    /// <summary>The generator.</summary>
    public Network Generator => _g;

    /// <summary>The discriminator.</summary>
    public Network Discriminator => _d;

    /// <summary>The pairs the sample grid translates (the sample's: the whole test set, masked).</summary>
    public PairedImages? Shown => _shown;

    /// <summary>The L1 term's weight, λ.</summary>
    public float L1Weight { get; }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["loss"] = $"adversarial (patches) + {L1Weight:0.###} L1",
    };

    /// <summary>Refuses data that is not pairs of the generator's images.</summary>
    public override void CheckData(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.RequireTwoDomains("Pix2Pix", _g.InputFeatures, paired: true);
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize, pixels = _g.Layout.Slots[0].Height * _g.Layout.Slots[0].Width;
        var (g, d) = (_g, _d);
        var (x, y) = (g.Input(b), _target.View(0, b, g.OutputFeatures));
        var pair = d.Input(b);
        s.Images(x, domain: 0);
        s.Images(y, domain: 1);
        g.DropoutCounter = s.Steps;
        g.Forward(b);

        // D: (x, G(x)) fake, then (x, y) real, every patch; two passes, as the paper's code makes them, so that D's
        // BatchNorm normalises fakes with fakes and reals with reals, as it will see the fakes when G learns.
        Backend.ConcatChannels(x, g.Output(b), pair, pixels);
        d.Forward(b);
        s.Loss(_half, d.Output(b), d.OutputGradient(b), 0f, _dLoss, _fakeScore);
        d.Backward(b);
        Backend.ConcatChannels(x, y, pair, pixels);
        d.Forward(b);
        s.Loss(_half, d.Output(b), d.OutputGradient(b), 1f, _dLoss, _realScore);
        d.Backward(b, accumulate: true);
        s.Update(_optimizerD);

        // G: called real by the updated D, plus λ L1 to the target; D's input gradient's image channels reach G.
        Backend.ConcatChannels(x, g.Output(b), pair, pixels);
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, d.Output(b), d.OutputGradient(b), 1f, _gAdversarial);
        d.Backward(b, weightGradients: false, inputGradient: true);
        Backend.SplitChannels(d.InputGradient(b), default, g.OutputGradient(b), pixels);
        s.Loss(_l1Term, g.Output(b), g.OutputGradient(b), y, _l1, accumulate: true);
        g.Backward(b);
        s.Update(_optimizerG);
    }

    /// <summary>
    /// G's outputs, in [-1, 1] and in evaluation mode (BatchNorm's running statistics, no dropout), for the first
    /// <paramref name="count"/> inputs of <paramref name="inputs"/>: (count, pixels) floats.
    /// </summary>
    public float[] Translate(ImageDataset inputs, int count)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int pixels = _g.OutputFeatures;
        var output = new float[(long)count * pixels];
        _g.ForwardImages(inputs, count, (first, rows) => Backend.Download(_g.Output(rows), output.AsSpan(first * pixels, rows * pixels)));
        return output;
    }

    /// <summary>Rows of ten pairs: the inputs, G's outputs, then the targets.</summary>
    public override SampleGrid? Samples()
    {
        if (_shown is null)
        {
            return null;
        }

        int n = Math.Min(2 * GridColumns, _shown.Count), pixels = _g.OutputFeatures, groups = (n + GridColumns - 1) / GridColumns;
        var outputs = Translate(_shown.Inputs, n);
        var grid = new float[3 * groups * GridColumns * pixels];
        Array.Fill(grid, -1f);
        for (int i = 0; i < n; i++)
        {
            int group = i / GridColumns, column = i % GridColumns;
            _shown.Inputs.CopyImage(i, Row(0));
            outputs.AsSpan(i * pixels, pixels).CopyTo(Row(1));
            _shown.Targets.CopyImage(i, Row(2));

            Span<float> Row(int k) => grid.AsSpan(((3 * group + k) * GridColumns + column) * pixels, pixels);
        }

        var shape = _g.Layout.OutputShape;
        return new SampleGrid(grid, 3 * groups * GridColumns, shape.Height, shape.Width, GridColumns);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _target.Dispose();
        }

        base.Dispose(disposing);
    }
}
