using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Randomness;

namespace GanDsl;

/// <summary>
/// The step of the classic GANs: the discriminator (critic) learns on a real and a generated batch, then, every
/// <see cref="GanOptions.CriticSteps"/> steps, the generator learns through it. Every objective of
/// <see cref="GanLoss"/> (non-saturating, minimax, least squares, hinge, Wasserstein with weight clipping or a
/// gradient penalty), one-sided label smoothing, conditional labels, and real and fake batches kept apart for a
/// critic with BatchNorm. It reports D loss, G loss, D(x) and D(G(z)).
/// </summary>
public sealed class GanStep : GeneratorStep
{
    private readonly Network _g;
    private readonly Network _d;
    private readonly GanOptions _options;
    private readonly Optimizer _optimizerG;
    private readonly Optimizer _optimizerD;
    private readonly Statistic _discriminatorLoss;
    private readonly Statistic _generatorLoss;
    private readonly Statistic _realScore;
    private readonly Statistic _fakeScore;
    private readonly Terms _terms;
    private readonly bool _conditional;
    private readonly bool _separateBatches;
    private readonly DeviceBuffer? _penaltyGradient;

    /// <summary>The step of <paramref name="generator"/> against <paramref name="discriminator"/>; checks that they fit together.</summary>
    public GanStep(Network generator, Network discriminator, GanOptions? options = null)
        : base(Checked(generator, discriminator, Valid(options)), Valid(options).BatchSize, Valid(options).SampleCount, Valid(options).SampleColumns)
    {
        _options = Valid(options);
        _g = Generator;
        _d = AddNetwork("discriminator", discriminator, rows: 2 * _options.BatchSize);
        _optimizerG = AddOptimizer("generator.optimizer", _options.GeneratorOptimizer, generator);
        _optimizerD = AddOptimizer("discriminator.optimizer", _options.DiscriminatorOptimizer, discriminator);
        if (!_options.Schedule.IsConstant)
        {
            _optimizerG.Schedule = _options.Schedule;
            _optimizerD.Schedule = _options.Schedule;
        }

        _terms = Terms.For(_options.Loss, 1f - _options.LabelSmoothing);
        var scores = _terms.Real.Kind is LossKind.BinaryCrossEntropy ? StatisticKind.Probability : StatisticKind.Score;
        _discriminatorLoss = AddStatistic("D loss");
        _generatorLoss = AddStatistic("G loss");
        _realScore = AddStatistic("D(x)", scores);
        _fakeScore = AddStatistic("D(G(z))", scores);
        _conditional = generator.Layout.ConditionClasses > 0;
        if (_options.GeneratorAverage > 0f)
        {
            KeepAverage(_options.GeneratorAverage);
        }

        // A discriminator with BatchNorm sees real and fake batches apart, as in the DCGAN paper,
        // so neither batch's statistics leak into the other's.
        _separateBatches = discriminator.Layout.States.Count > 0;
        int batch = _options.BatchSize;
        if (_options.Loss == GanLoss.WassersteinGradientPenalty)
        {
            _penaltyGradient = Backend.Allocate((long)batch * discriminator.InputFeatures);
        }
    }

    /// <summary>The discriminator (critic).</summary>
    public Network Discriminator => _d;

    /// <summary>The generator's optimizer.</summary>
    public Optimizer GeneratorOptimizer => _optimizerG;

    /// <summary>The discriminator's optimizer.</summary>
    public Optimizer DiscriminatorOptimizer => _optimizerD;

    /// <summary>The options in use.</summary>
    public GanOptions Options => _options;

    /// <summary>Phase 1 when the generator learns too (every <see cref="GanOptions.CriticSteps"/>-th step), else 0.</summary>
    public override int PhaseOf(long stepsTaken) => (stepsTaken + 1) % _options.CriticSteps == 0 ? 1 : 0;

    /// <inheritdoc />
    public override void CheckData(TrainingData data)
    {
        base.CheckData(data);
        if (data.Domains[0].PixelsPerImage != _d.InputFeatures)
        {
            throw new ArgumentException($"The images have {data.Domains[0].PixelsPerImage} pixels but the discriminator reads {_d.InputFeatures} features.", nameof(data));
        }
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Describe()
    {
        var settings = new Dictionary<string, string>
        {
            ["loss"] = _options.Loss.ToString(),
            ["critic_steps"] = _options.CriticSteps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["label_smoothing"] = _options.LabelSmoothing.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (_options.GeneratorAverage > 0f)
        {
            settings["generator_average"] = _options.GeneratorAverage.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (!_options.Schedule.IsConstant)
        {
            settings["learning_rate"] = _options.Schedule.ToString()!;
        }

        return settings;
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var g = _g;
        var d = _d;
        var backend = Backend;

        // Noise (and, conditioned, the real batch's labels) -> generator: (B, z) -> (B, features).
        s.Normal(g.Input(b));
        if (_conditional)
        {
            s.Labels(g.Labels(b)); // the discriminator's copies follow, with the real rows
        }

        // On one batch of [fake; real] (and no penalty, whose interpolates overwrite the fake rows), the generator
        // writes its output straight into the discriminator's input rows: no copy between them.
        var dInput = d.Input(2 * b);
        bool joined = !_separateBatches && _penaltyGradient is null;
        if (joined)
        {
            g.RedirectOutput(dInput.Slice(0, b));
        }

        try
        {
            GeneratorAndDiscriminatorSteps(s, s.Phase == 1, dInput, joined);
        }
        finally
        {
            if (joined)
            {
                g.RedirectOutput(default);
            }
        }
    }

    /// <summary>
    /// The step after the noise: the generator's forward, the discriminator's update on fakes and real images and, for
    /// a generator step, the generator's update. <paramref name="joined"/>: the fakes are already in the
    /// discriminator's input rows (see <see cref="Network.RedirectOutput"/>).
    /// </summary>
    private void GeneratorAndDiscriminatorSteps(StepContext s, bool generatorStep, Tensor dInput, bool joined)
    {
        int b = BatchSize;
        var g = _g;
        var d = _d;
        var backend = Backend;
        var terms = _terms;
        g.DropoutCounter = s.Steps;
        if (_separateBatches)
        {
            CopyLabelsToDiscriminator(b);
        }
        else
        {
            // The real rows and the discriminator's labels do not depend on the generator: on a side branch,
            // alongside its forward pass.
            backend.BeginBranch();
            CopyLabelsToDiscriminator(b);
            s.Images(dInput.Slice(b, b));
            backend.EndBranch();
        }

        g.Forward(b);

        d.DropoutCounter = s.Steps.Times(4);
        if (_separateBatches)
        {
            // Real, then fake, each a batch of its own for BatchNorm; the gradients add up.
            s.Images(dInput.Slice(0, b));
            d.Forward(b);
            s.Loss(terms.Real, d.Output(b), d.OutputGradient(b), terms.RealTarget, _discriminatorLoss, _realScore);
            d.Backward(b);
            backend.Copy(g.Output(b), dInput.Slice(0, b));
            d.DropoutCounter = s.Steps.Times(4, 1);
            d.Forward(b);
            s.Loss(terms.Fake, d.Output(b), d.OutputGradient(b), terms.FakeTarget, _discriminatorLoss, _fakeScore);
            d.Backward(b, accumulate: true);
        }
        else
        {
            // [fake; real] as one batch of 2B rows: larger GEMMs, one pass, one loss launch.
            if (!joined)
            {
                backend.Copy(g.Output(b), dInput.Slice(0, b));
            }

            backend.JoinBranches();
            d.Forward(2 * b);
            backend.Loss(terms.Fake.Kind, new LossOperands(d.Output(2 * b), d.OutputGradient(2 * b)),
                s.Segment(terms.Fake, b, 1, terms.FakeTarget, _discriminatorLoss, _fakeScore),
                s.Segment(terms.Real, b, 1, terms.RealTarget, _discriminatorLoss, _realScore));
            d.Backward(2 * b);
        }

        if (_penaltyGradient is not null)
        {
            AddGradientPenalty(s, dInput, b);
        }

        s.Update(_optimizerD);
        if (_options.Loss == GanLoss.Wasserstein)
        {
            backend.Clamp(d.Parameters, _options.WeightClip);
        }

        if (generatorStep)
        {
            // Generator step through the updated discriminator, on this step's fakes.
            if (_penaltyGradient is not null)
            {
                backend.Copy(g.Output(b), dInput.Slice(0, b));
            }

            d.DropoutCounter = s.Steps.Times(4, 3);
            d.Forward(b);
            s.Loss(terms.Generator, d.Output(b), d.OutputGradient(b), terms.GeneratorTarget, _generatorLoss);
            d.Backward(b, weightGradients: false, inputGradient: true);
            g.Backward(b, outputGradient: d.InputGradient(b));
            s.Update(_optimizerG);
            UpdateAverage(_optimizerG.StepCounter);
        }
    }

    /// <summary>Conditioned: the batch's labels (in the generator's) for the discriminator's fake rows and real rows.</summary>
    private void CopyLabelsToDiscriminator(int b)
    {
        if (_conditional)
        {
            var labels = _g.Labels(b);
            Backend.Copy(labels, _d.Labels(2 * b).Slice(0, b));
            Backend.Copy(labels, _d.Labels(2 * b).Slice(b, b));
        }
    }

    /// <summary>WGAN-GP: the penalty at interpolates of the real and fake rows, its gradient added to the critic's; the penalty adds to D loss.</summary>
    private void AddGradientPenalty(StepContext s, Tensor dInput, int b)
    {
        var d = _d;
        var backend = Backend;
        var interpolates = dInput.Slice(0, b);
        backend.Interpolate(dInput.Slice(b, b), _g.Output(b), interpolates, Seed, RandomStreams.Interpolation, s.Steps.Times((ulong)((b + 3) / 4)));
        d.DropoutCounter = s.Steps.Times(4, 2);
        d.Forward(b);
        var ones = d.OutputGradient(b);
        backend.Fill(ones, 1f);
        d.Backward(b, weightGradients: false, inputGradient: true);
        var tangent = _penaltyGradient!.View(0, b, d.InputFeatures);
        backend.GradientPenalty(d.InputGradient(b), _options.GradientPenaltyWeight / b, tangent, _discriminatorLoss.Sum);
        s.Touch(_discriminatorLoss);
        d.GradientPenaltyBackward(b, tangent, ones);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _penaltyGradient?.Dispose();
        }

        base.Dispose(disposing);
    }

    // The generator, once checked to fit the discriminator (before anything is allocated).
    private static Network Checked(Network generator, Network discriminator, GanOptions options)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(discriminator);
        if (!ReferenceEquals(generator.Backend, discriminator.Backend))
        {
            throw new ArgumentException("The generator and the discriminator must be created on the same backend.");
        }

        if (generator.OutputFeatures != discriminator.InputFeatures)
        {
            throw new ArgumentException(
                $"The generator {generator.Layout.Name} makes {generator.OutputFeatures} features per sample but the discriminator {discriminator.Layout.Name} reads {discriminator.InputFeatures}.");
        }

        if (discriminator.OutputFeatures != 1)
        {
            throw new ArgumentException(
                $"The discriminator {discriminator.Layout.Name} must end in one output (a Dense(1) without activation), but it outputs {discriminator.OutputFeatures} features.");
        }

        if (generator.Layout.ConditionClasses != discriminator.Layout.ConditionClasses)
        {
            throw new ArgumentException(
                $"A conditional GAN needs [Condition] with the same classes on both networks; {generator.Layout.Name} has {generator.Layout.ConditionClasses} and {discriminator.Layout.Name} {discriminator.Layout.ConditionClasses}.");
        }

        if (options.Loss == GanLoss.WassersteinGradientPenalty && !discriminator.Layout.SupportsGradientPenalty)
        {
            throw new ArgumentException(
                $"WGAN-GP needs the critic's second-order pass: declare {discriminator.Layout.Name} with [GradientPenalty] (it then allows no BatchNorm, Tanh or Sigmoid).");
        }

        return generator;
    }

    private static GanOptions Valid(GanOptions? options)
    {
        options ??= new GanOptions();
        options.Validate();
        return options;
    }

    /// <summary>The loss terms, and their targets, a <see cref="GanLoss"/> is made of.</summary>
    private sealed record Terms(LossTerm Real, float RealTarget, LossTerm Fake, float FakeTarget, LossTerm Generator, float GeneratorTarget)
    {
        /// <summary>The terms of <paramref name="loss"/>; <paramref name="realLabel"/> is 1 less any label smoothing.</summary>
        public static Terms For(GanLoss loss, float realLabel) => loss switch
        {
            GanLoss.Minimax => new(LossTerm.BinaryCrossEntropy, realLabel, LossTerm.BinaryCrossEntropy, 0f, LossTerm.LogOneMinusSigmoid, 0f),
            GanLoss.NonSaturating => new(LossTerm.BinaryCrossEntropy, realLabel, LossTerm.BinaryCrossEntropy, 0f, LossTerm.BinaryCrossEntropy, 1f),
            GanLoss.LeastSquares => new(LossTerm.HalfSquaredError, realLabel, LossTerm.HalfSquaredError, 0f, LossTerm.HalfSquaredError, 1f),
            GanLoss.Wasserstein or GanLoss.WassersteinGradientPenalty => new(LossTerm.Linear, -1f, LossTerm.Linear, 1f, LossTerm.Linear, -1f),
            GanLoss.Hinge => new(LossTerm.Hinge, -1f, LossTerm.Hinge, 1f, LossTerm.Linear, -1f),
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown GAN loss."),
        };
    }
}
