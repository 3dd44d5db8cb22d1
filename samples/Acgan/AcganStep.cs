using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;

namespace Acgan;

/// <summary>
/// ACGAN's step (Odena et al. 2017) as Keras' mnist_acgan trains it: the discriminator has a real/fake head and a
/// class head on one trunk. D learns on [G(z, c); x]: binary cross-entropy on the real/fake head, real targets soft
/// (0.95), and softmax cross-entropy on the class head for the real images only. G then learns through D to make images
/// D calls real (target 0.95) and of the class asked for. The classes asked for are the real batch's labels.
/// </summary>
public sealed class AcganStep : GeneratorStep
{
    private const float SoftOne = 0.95f;
    private readonly Network _d;
    private readonly NetworkHead _validity, _label;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly Statistic _dLoss, _gLoss, _realScore, _fakeScore, _classLoss, _realAccuracy, _fakeAccuracy;

    /// <summary>ACGAN of <paramref name="generator"/> (conditioned on a digit) against <paramref name="discriminator"/> (heads <c>validity</c> and <c>label</c>).</summary>
    public AcganStep(Network generator, Network discriminator, OptimizerSettings optimizer, int batchSize)
        : base(generator, batchSize, sampleCount: 100, sampleColumns: 10)
    {
        ArgumentNullException.ThrowIfNull(discriminator);
        _d = AddNetwork("discriminator", discriminator, rows: 2 * batchSize);
        (_validity, _label) = (discriminator.Head("validity"), discriminator.Head("label"));
        if (_validity.Features != 1 || _label.Features != generator.Layout.ConditionClasses || generator.OutputFeatures != discriminator.InputFeatures)
        {
            throw new ArgumentException(
                $"ACGAN needs a generator conditioned on classes whose images the discriminator reads, a one-logit 'validity' head and a 'label' head of one logit per class; " +
                $"{generator.Layout.Name} has {generator.Layout.ConditionClasses} classes and makes {generator.OutputFeatures} features, {discriminator.Layout.Name} reads {discriminator.InputFeatures} and its heads are {_validity} and {_label}.");
        }

        _optimizerG = AddOptimizer("generator.optimizer", optimizer, generator);
        _optimizerD = AddOptimizer("discriminator.optimizer", optimizer, discriminator);
        _dLoss = AddStatistic("D loss");
        _gLoss = AddStatistic("G loss");
        _realScore = AddStatistic("D(x)", StatisticKind.Probability);
        _fakeScore = AddStatistic("D(G(z))", StatisticKind.Probability);
        _classLoss = AddStatistic("class loss");
        _realAccuracy = AddStatistic("class acc x", StatisticKind.Probability);
        _fakeAccuracy = AddStatistic("class acc G(z)", StatisticKind.Probability);
    }

    /// <summary>The discriminator.</summary>
    public Network Discriminator => _d;

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var (g, d) = (Generator, _d);
        var labels = g.Labels(b);
        var dInput = d.Input(2 * b);

        // G(z, c) for the real batch's digits, written straight into D's first B input rows; the real images after them.
        s.Normal(g.Input(b));
        s.Labels(labels);
        s.Images(dInput.Slice(b, b));
        g.RedirectOutput(dInput.Slice(0, b));
        try
        {
            g.DropoutCounter = s.Steps;
            g.Forward(b);

            // D on [fake; real]: real/fake on every row, the class on the real rows only (as Keras' sample weights do).
            d.DropoutCounter = s.Steps.Times(4);
            d.Forward(2 * b);
            Backend.Loss(LossKind.BinaryCrossEntropy, new LossOperands(_validity.Output(2 * b), _validity.OutputGradient(2 * b)),
                s.Segment(LossTerm.BinaryCrossEntropy, b, 1, 0f, _dLoss, _fakeScore),
                s.Segment(LossTerm.BinaryCrossEntropy, b, 1, SoftOne, _dLoss, _realScore));
            var classGradient = _label.OutputGradient(2 * b);
            Backend.Fill(classGradient.Slice(0, b), 0f);
            s.Loss(LossTerm.SoftmaxCrossEntropy, _label.Output(2 * b).Slice(b, b), classGradient.Slice(b, b), labels, _classLoss, _realAccuracy);
            d.Backward(2 * b, _validity | _label);
            s.Update(_optimizerD);

            // G through the updated D: "real" (0.95) and of the digit asked for.
            d.DropoutCounter = s.Steps.Times(4, 3);
            d.Forward(b);
            s.Loss(LossTerm.BinaryCrossEntropy, _validity.Output(b), _validity.OutputGradient(b), SoftOne, _gLoss);
            s.Loss(LossTerm.SoftmaxCrossEntropy, _label.Output(b), _label.OutputGradient(b), labels, _gLoss, _fakeAccuracy);
            d.Backward(b, _validity | _label, weightGradients: false, inputGradient: true);
            g.Backward(b, outputGradient: d.InputGradient(b));
            s.Update(_optimizerG);
        }
        finally
        {
            g.RedirectOutput(default);
        }
    }

    /// <summary>
    /// The class head's accuracy on the first <paramref name="count"/> images of <paramref name="images"/> (the real test
    /// set, say), with D in evaluation mode (no dropout): how good a digit classifier the discriminator became.
    /// </summary>
    public double ClassAccuracy(ImageDataset images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        count = Math.Min(count, images.Count);
        int classes = _label.Features, correct = 0;
        var logits = new float[_d.Capacity * classes];
        _d.ForwardImages(images, count, (first, rows) =>
        {
            Backend.Download(_label.Output(rows), logits.AsSpan(0, rows * classes));
            for (int r = 0; r < rows; r++)
            {
                var row = logits.AsSpan(r * classes, classes);
                int best = 0;
                for (int c = 1; c < classes; c++)
                {
                    best = row[c] > row[best] ? c : best;
                }

                correct += best == images.GetLabel(first + r) ? 1 : 0;
            }
        });

        return (double)correct / count;
    }
}
