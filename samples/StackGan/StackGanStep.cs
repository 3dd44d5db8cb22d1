using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Randomness;

namespace StackGan;

/// <summary>
/// A two-stage StackGAN's step (Zhang et al. 2017) on pairs of one image at two sizes (domain 0 small, domain 1 large,
/// both labelled). Conditioning augmentation turns the label into <c>ĉ ~ N(μ(label), σ²(label))</c> by the
/// reparameterisation; stage I draws a small image from noise and ĉ, and stage II refines it to the large size,
/// conditioned on the label again. Each stage has its own discriminator of (image, label), which learns as the
/// authors' matching-aware one: real images with their labels real; generated images, and real images with another
/// image's label, fake, the two fake terms weighted 1/2, each pass apart (BatchNorm). Stage I's generator and the
/// augmentation learn to be called real plus <c>λ KL(N(μ, σ²) ‖ N(0, I))</c> (λ 1, the KL averaged over the code's values as
/// the authors' code does); stage II's generator learns on
/// stage I's images as they come, to be called real. The two stages train in the same step, stage II on the
/// images stage I draws for the batch (no gradient flows back into stage I).
/// </summary>
public sealed class StackGanStep : TrainingStep
{
    private const int Classes = 10;
    private readonly Network _augmentation, _g1, _d1, _g2, _d2;
    private readonly NetworkHead _mean, _logVariance;
    private readonly Optimizer _optimizerG1, _optimizerD1, _optimizerG2, _optimizerD2;
    private readonly DeviceBuffer _labels, _classes, _epsilon, _code, _small, _large;
    private readonly LossTerm _klTerm, _halfTerm;
    private readonly Statistic _d1Loss, _g1Loss, _kl, _d2Loss, _g2Loss, _real1, _fake1, _real2, _fake2;
    private readonly int _noise;

    /// <summary>
    /// StackGAN of <paramref name="augmentation"/> (one-hot labels to heads <c>mu</c> and <c>logvar</c>), stage I
    /// <paramref name="stageOne"/> (noise then ĉ, to small images) against <paramref name="discriminatorOne"/>, stage II
    /// <paramref name="stageTwo"/> (small images to large ones) against <paramref name="discriminatorTwo"/>; the
    /// discriminators and stage II are conditioned on the label (<c>[Condition]</c>). The KL term is weighted
    /// <paramref name="klWeight"/>.
    /// </summary>
    public StackGanStep(Network augmentation, Network stageOne, Network discriminatorOne, Network stageTwo, Network discriminatorTwo,
        OptimizerSettings optimizer, int batchSize, float klWeight = 1f)
        : base(augmentation?.Backend ?? throw new ArgumentNullException(nameof(augmentation)), batchSize)
    {
        ArgumentNullException.ThrowIfNull(stageOne);
        ArgumentNullException.ThrowIfNull(discriminatorOne);
        ArgumentNullException.ThrowIfNull(stageTwo);
        ArgumentNullException.ThrowIfNull(discriminatorTwo);
        if (!(klWeight >= 0f) || float.IsInfinity(klWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(klWeight), klWeight, "The KL term's weight is a finite number of 0 or more.");
        }

        (_mean, _logVariance) = (augmentation.Head("mu"), augmentation.Head("logvar"));
        int code = _mean.Features;
        _noise = stageOne.InputFeatures - code;
        if (augmentation.InputFeatures != Classes || _logVariance.Features != code || _noise <= 0
            || discriminatorOne.InputFeatures != stageOne.OutputFeatures || stageTwo.InputFeatures != stageOne.OutputFeatures
            || discriminatorTwo.InputFeatures != stageTwo.OutputFeatures || discriminatorOne.OutputFeatures != 1 || discriminatorTwo.OutputFeatures != 1
            || new[] { discriminatorOne, stageTwo, discriminatorTwo }.Any(n => n.Layout.ConditionClasses != Classes))
        {
            throw new ArgumentException(
                $"A StackGAN needs an augmentation of {Classes} one-hot classes to 'mu' and 'logvar' heads of one width, a stage I generator of noise then that code, " +
                $"a stage II generator of stage I's images, and one-logit discriminators of each stage's images; the last three conditioned on {Classes} classes. " +
                $"{augmentation.Layout.Name} reads {augmentation.InputFeatures} and gives {_mean} and {_logVariance}; {stageOne.Layout.Name} reads {stageOne.InputFeatures} and makes {stageOne.OutputFeatures}; " +
                $"{stageTwo.Layout.Name} reads {stageTwo.InputFeatures} and makes {stageTwo.OutputFeatures}; the discriminators read {discriminatorOne.InputFeatures} and {discriminatorTwo.InputFeatures}.");
        }

        _augmentation = AddNetwork("augmentation", augmentation);
        _g1 = AddNetwork("stage1.generator", stageOne);
        _d1 = AddNetwork("stage1.discriminator", discriminatorOne);
        _g2 = AddNetwork("stage2.generator", stageTwo);
        _d2 = AddNetwork("stage2.discriminator", discriminatorTwo);
        _optimizerG1 = AddOptimizer("stage1.generator.optimizer", optimizer, stageOne, augmentation);
        _optimizerD1 = AddOptimizer("stage1.discriminator.optimizer", optimizer, discriminatorOne);
        _optimizerG2 = AddOptimizer("stage2.generator.optimizer", optimizer, stageTwo);
        _optimizerD2 = AddOptimizer("stage2.discriminator.optimizer", optimizer, discriminatorTwo);
        _labels = Backend.Allocate(batchSize);
        _classes = Backend.Allocate(batchSize);
        _epsilon = Backend.Allocate((long)batchSize * code);
        _code = Backend.Allocate((long)batchSize * code);
        _small = Backend.Allocate((long)batchSize * stageOne.OutputFeatures);
        _large = Backend.Allocate((long)batchSize * stageTwo.OutputFeatures);
        _klTerm = (LossTerm.KlDivergenceToStandardNormal with { Reduction = LossReduction.Mean }).Times(klWeight); // the authors' mean over the code's values too
        _halfTerm = LossTerm.BinaryCrossEntropy.Times(0.5f);
        _d1Loss = AddStatistic("D1 loss");
        _g1Loss = AddStatistic("G1 adv");
        _kl = AddStatistic("KL");
        _d2Loss = AddStatistic("D2 loss");
        _g2Loss = AddStatistic("G2 adv");
        _real1 = AddStatistic("D1(x)", StatisticKind.Probability);
        _fake1 = AddStatistic("D1(G1)", StatisticKind.Probability);
        _real2 = AddStatistic("D2(x)", StatisticKind.Probability);
        _fake2 = AddStatistic("D2(G2)", StatisticKind.Probability);
        KlWeight = klWeight;
    }

    /// <summary>Stage I's generator.</summary>
    public Network StageOne => _g1;

    /// <summary>Stage II's generator.</summary>
    public Network StageTwo => _g2;

    /// <summary>The KL term's weight, λ.</summary>
    public float KlWeight { get; }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["loss"] = $"per stage, matching-aware GAN; stage I + {KlWeight:0.###} KL of the conditioning augmentation",
        ["sizes"] = $"stage I {Describe(_g1)}, stage II {Describe(_g2)}",
    };

    private static string Describe(Network g) => g.Layout.OutputShape is { Height: > 1 } shape ? $"{shape.Height}x{shape.Width}" : $"{g.OutputFeatures} values";

    /// <summary>Refuses data that is not labelled pairs of stage I's and stage II's images.</summary>
    public override void CheckData(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Domains.Count != 2 || !data.ShuffledTogether || data.Domains[0].PixelsPerImage != _g1.OutputFeatures
            || data.Domains[1].PixelsPerImage != _g2.OutputFeatures || !data.Domains[1].HasLabels || data.Domains[1].Classes > Classes)
        {
            throw new ArgumentException(
                $"StackGAN trains on pairs (PairedImages) of one labelled image at stage I's size ({_g1.OutputFeatures} values) and stage II's ({_g2.OutputFeatures}); " +
                $"the data has {data.Domains.Count} domain(s){(data.ShuffledTogether ? "" : ", unpaired")} of {string.Join(" and ", data.Domains.Select(d => d.PixelsPerImage))} values.", nameof(data));
        }
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var (g1, d1, g2, d2) = (_g1, _d1, _g2, _d2);
        var labels = _labels.View(0, b, 1);
        var epsilon = _epsilon.View(0, b, _mean.Features);
        var (small, large) = (_small.View(0, b, g1.OutputFeatures), _large.View(0, b, g2.OutputFeatures));
        s.Images(small, domain: 0);
        s.Images(large, domain: 1);
        s.Labels(labels, domain: 1);
        s.Normal(g1.Input(b));
        Draw(b, labels, epsilon);
        g1.Forward(b);

        // Stage I: D1, then G1 and the augmentation through the updated D1, plus the KL term.
        Discriminate(s, d1, g1.Output(b), small, labels, _d1Loss, _real1, _fake1);
        s.Update(_optimizerD1);
        Fool(s, d1, g1.Output(b), labels, _g1Loss);
        g1.Backward(b, outputGradient: d1.InputGradient(b), inputGradient: true);
        Backend.SplitChannels(g1.InputGradient(b), default, _code.View(0, b, _mean.Features), 1);
        Backend.ReparameterizeBackward(_code.View(0, b, _mean.Features), _logVariance.Output(b), epsilon, _mean.OutputGradient(b), _logVariance.OutputGradient(b));
        s.Loss(_klTerm, _mean.Output(b), _logVariance.Output(b), _mean.OutputGradient(b), _logVariance.OutputGradient(b), statistic: _kl, accumulate: true);
        _augmentation.Backward(b, _mean | _logVariance);
        s.Update(_optimizerG1);

        // Stage II, on stage I's images of this step.
        Backend.Copy(g1.Output(b), g2.Input(b));
        Backend.Copy(labels, g2.Labels(b));
        g2.Forward(b);
        Discriminate(s, d2, g2.Output(b), large, labels, _d2Loss, _real2, _fake2);
        s.Update(_optimizerD2);
        Fool(s, d2, g2.Output(b), labels, _g2Loss);
        g2.Backward(b, outputGradient: d2.InputGradient(b));
        s.Update(_optimizerG2);
    }

    // Columns [noise, noise + code) of stage I's input hold ε; they become ĉ = μ + σ ε of the labels' augmentation,
    // ε kept in `epsilon` for the backward pass.
    private void Draw(int rows, Tensor labels, Tensor epsilon)
    {
        Backend.Copy(labels, _classes.View(0, rows, 1));
        Backend.Categorical(_classes.View(0, rows, 1), _augmentation.Input(rows), 0, Classes);
        _augmentation.Forward(rows);
        var code = _code.View(0, rows, _mean.Features);
        Backend.SplitChannels(_g1.Input(rows), default, epsilon, 1);
        Backend.Reparameterize(_mean.Output(rows), _logVariance.Output(rows), epsilon, code);
        Backend.PlaceColumns(code, _g1.Input(rows), _noise);
    }

    // The matching-aware discriminator: (fake, label) fake and (real, another's label) fake, each weighted 1/2, and
    // (real, label) real; three passes, so that BatchNorm never mixes them.
    private void Discriminate(StepContext s, Network d, Tensor fake, Tensor real, Tensor labels, Statistic loss, Statistic realScore, Statistic fakeScore)
    {
        int b = BatchSize;
        Backend.Copy(labels, d.Labels(b));
        Backend.Copy(fake, d.Input(b));
        d.Forward(b);
        s.Loss(_halfTerm, d.Output(b), d.OutputGradient(b), 0f, loss, fakeScore);
        d.Backward(b);
        Backend.Copy(real, d.Input(b));
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, d.Output(b), d.OutputGradient(b), 1f, loss, realScore);
        d.Backward(b, accumulate: true);

        // Each real image with the next one's label (the authors' shifted batch): a pair that does not match.
        Backend.Copy(real.Slice(1, b - 1), d.Input(b).Slice(0, b - 1));
        Backend.Copy(real.Slice(0, 1), d.Input(b).Slice(b - 1, 1));
        d.Forward(b);
        s.Loss(_halfTerm, d.Output(b), d.OutputGradient(b), 0f, loss);
        d.Backward(b, accumulate: true);
    }

    // A generator's adversarial term: its images with their labels called real by d; d's input gradient is left for it.
    private void Fool(StepContext s, Network d, Tensor fake, Tensor labels, Statistic loss)
    {
        int b = BatchSize;
        Backend.Copy(labels, d.Labels(b));
        Backend.Copy(fake, d.Input(b));
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, d.Output(b), d.OutputGradient(b), 1f, loss);
        d.Backward(b, weightGradients: false, inputGradient: true);
    }

    /// <summary>
    /// Stage I's and stage II's images, in evaluation mode, for <paramref name="labels"/>.Length draws of digit
    /// <paramref name="labels"/>[i], from the noise of <paramref name="stream"/> (the same images for the same seed):
    /// two (count, pixels) arrays in [-1, 1].
    /// </summary>
    public (float[] StageOne, float[] StageTwo) Generate(ReadOnlySpan<int> labels, ulong stream = RandomStreams.Evaluation)
    {
        int count = labels.Length, chunk = BatchSize;
        var (one, two) = (new float[(long)count * _g1.OutputFeatures], new float[(long)count * _g2.OutputFeatures]);
        var nets = new[] { _augmentation, _g1, _g2 };
        var training = nets.Select(n => n.Training).ToArray();
        var chunkLabels = new float[chunk];
        ulong blocks = (ulong)(((long)chunk * _g1.InputFeatures + 3) / 4);
        try
        {
            foreach (var n in nets)
            {
                n.Training = false;
            }

            for (int start = 0, c = 0; start < count; start += chunk, c++)
            {
                int rows = Math.Min(chunk, count - start);
                for (int r = 0; r < rows; r++)
                {
                    chunkLabels[r] = labels[start + r];
                }

                var labelTensor = _labels.View(0, rows, 1);
                Backend.Upload(chunkLabels.AsSpan(0, rows), labelTensor);
                Backend.RandomNormal(_g1.Input(rows), Seed, stream, (ulong)c * blocks);
                Draw(rows, labelTensor, _epsilon.View(0, rows, _mean.Features));
                _g1.Forward(rows);
                Backend.Copy(_g1.Output(rows), _g2.Input(rows));
                Backend.Copy(labelTensor, _g2.Labels(rows));
                _g2.Forward(rows);
                Backend.Download(_g1.Output(rows), one.AsSpan(start * _g1.OutputFeatures, rows * _g1.OutputFeatures));
                Backend.Download(_g2.Output(rows), two.AsSpan(start * _g2.OutputFeatures, rows * _g2.OutputFeatures));
            }
        }
        finally
        {
            for (int i = 0; i < nets.Length; i++)
            {
                nets[i].Training = training[i];
            }
        }

        return (one, two);
    }

    /// <summary>Ten columns, one per digit: rows of stage I's images (scaled up, nearest) above stage II's, for the same draws.</summary>
    public override SampleGrid? Samples()
    {
        const int pairs = 4;
        var labels = Enumerable.Range(0, pairs * Classes).Select(i => i % Classes).ToArray();
        var (one, two) = Generate(labels, RandomStreams.FixedNoise);
        var shape = _g2.Layout.OutputShape;
        int pixels = _g2.OutputFeatures, count = labels.Length;
        var upscaled = ScaleUp(one, count, _g1.Layout.OutputShape.Height, _g1.Layout.OutputShape.Width, shape.Height / _g1.Layout.OutputShape.Height);
        var grid = new float[2L * count * pixels];
        for (int row = 0; row < pairs; row++)
        {
            upscaled.AsSpan(row * Classes * pixels, Classes * pixels).CopyTo(grid.AsSpan(2 * row * Classes * pixels));
            two.AsSpan(row * Classes * pixels, Classes * pixels).CopyTo(grid.AsSpan((2 * row + 1) * Classes * pixels));
        }

        return new SampleGrid(grid, 2 * count, shape.Height, shape.Width, Classes);
    }

    /// <summary>Each of <paramref name="count"/> one-channel images of <paramref name="height"/> x <paramref name="width"/> made <paramref name="factor"/> times as large, every pixel a factor x factor block.</summary>
    public static float[] ScaleUp(float[] images, int count, int height, int width, int factor)
    {
        ArgumentNullException.ThrowIfNull(images);
        int from = height * width, to = from * factor * factor, outWidth = width * factor;
        var result = new float[(long)count * to];
        for (int i = 0; i < count; i++)
        {
            for (int y = 0; y < height * factor; y++)
            {
                for (int x = 0; x < outWidth; x++)
                {
                    result[(long)i * to + y * outWidth + x] = images[(long)i * from + (y / factor) * width + x / factor];
                }
            }
        }

        return result;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _labels.Dispose();
            _classes.Dispose();
            _epsilon.Dispose();
            _code.Dispose();
            _small.Dispose();
            _large.Dispose();
        }

        base.Dispose(disposing);
    }
}
