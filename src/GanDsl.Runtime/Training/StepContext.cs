using GanDsl.Backends;
using GanDsl.Randomness;

namespace GanDsl;

/// <summary>
/// What a <see cref="TrainingStep"/> runs with: the batch (gathered by domain at the step's position), fresh noise,
/// loss terms that record statistics, optimizer updates and scalar programs. Everything it does is a backend call
/// whose per-step numbers come from counters, so a captured step replays exactly.
/// </summary>
public sealed class StepContext
{
    private readonly Trainer _trainer;

    // The optimizers each phase updates (learned on its first run): their step counters move with the step's own in
    // the step's first launch. An optimizer updated twice in one step moves its counter itself each time.
    private readonly Dictionary<int, List<Optimizer>> _phaseOptimizers = [];
    private readonly List<Optimizer> _updated = [];
    private List<Optimizer>? _advanced;
    private ulong _touched;

    internal StepContext(Trainer trainer, Backend backend, int batchSize)
    {
        _trainer = trainer;
        Backend = backend;
        BatchSize = batchSize;
    }

    /// <summary>The backend the step's calls go to.</summary>
    public Backend Backend { get; }

    /// <summary>Images per batch and domain.</summary>
    public int BatchSize { get; }

    /// <summary>The kind of step running (<see cref="TrainingStep.PhaseOf"/>).</summary>
    public int Phase { get; private set; }

    /// <summary>The run's seed.</summary>
    public ulong Seed => _trainer.Seed;

    /// <summary>Steps taken, this one included once it has begun (1 during the first step): the counter random draws are positioned by.</summary>
    public DeviceCounter Steps => _trainer.StepsCounter;

    /// <summary>Epochs completed (0 during the first): schedules read it.</summary>
    public DeviceCounter Epochs => _trainer.EpochsCounter;

    /// <summary>Where this step's batch starts in the epoch's order, read when the kernels run.</summary>
    public CounterValue Position => _trainer.PositionCounter.Times(1, unchecked((ulong)-BatchSize)); // the counter already points at the next batch

    /// <summary>The data being trained on, on the device.</summary>
    public DeviceDataset Data => _trainer.CurrentData ?? throw new InvalidOperationException("No data: steps run inside Trainer.Fit or Trainer.Step.");

    /// <summary>The statistics recorded so far in this step (a bit per statistic index).</summary>
    internal ulong Touched => _touched;

    /// <summary>
    /// Writes this step's batch of domain <paramref name="domain"/> into <paramref name="destination"/>
    /// ((rows, pixels): the first rows of the batch), scaled to [-1, 1] or, with <see cref="PixelScale.ZeroToOne"/>, [0, 1].
    /// </summary>
    public void Images(Tensor destination, int domain = 0, PixelScale scale = PixelScale.MinusOneToOne) =>
        Backend.GatherImages(Data.Domain(domain), Position, RequireBatch(destination, nameof(destination)), scale);

    /// <summary>Writes this step's labels of domain <paramref name="domain"/> into the (rows, 1) <paramref name="destination"/>, as floats.</summary>
    public void Labels(Tensor destination, int domain = 0) => Backend.GatherLabels(Data.Domain(domain), Position, RequireBatch(destination, nameof(destination)));

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normal noise, new every step: draw <paramref name="draw"/> of
    /// the step (use another number for each tensor a step draws), from Philox at the step counter.
    /// </summary>
    public void Normal(Tensor destination, int draw = 0) =>
        Backend.RandomNormal(destination, Seed, RandomStreams.StepNoise(draw), Steps.Times(Blocks(destination)));

    /// <summary>Uniform noise in [<paramref name="low"/>, <paramref name="high"/>), new every step, as <see cref="Normal"/>.</summary>
    public void Uniform(Tensor destination, float low, float high, int draw = 0) =>
        Backend.RandomUniform(destination, low, high, Seed, RandomStreams.StepNoise(draw), Steps.Times(Blocks(destination)));

    /// <summary>
    /// Draws a latent vector into <paramref name="destination"/> ((rows, <see cref="LatentCodes.Width"/>), rows up to
    /// <see cref="LatentCodes.Rows"/>): each part in its columns, new every step, from Philox at the step counter on the
    /// part's own stream of draw <paramref name="draw"/>; the parts' codes go to <paramref name="codes"/>. All on the
    /// device, so a captured step replays it.
    /// </summary>
    public void Latent(LatentCodes codes, Tensor destination, int draw = 0)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (destination.Cols != codes.Width || destination.Rows > codes.Rows || destination.Rows <= 0)
        {
            throw new ArgumentException($"A latent vector of {codes.Width} columns for up to {codes.Rows} rows cannot be drawn into {destination}.", nameof(destination));
        }

        int rows = destination.Rows;
        for (int k = 0; k < codes.Parts.Count; k++)
        {
            var code = codes.Code(k, rows);
            ulong stream = RandomStreams.LatentPart(draw, k);
            var counter = Steps.Times(Blocks(code));
            switch (codes.Parts[k])
            {
                case NormalLatent:
                    Backend.RandomNormal(code, Seed, stream, counter);
                    Backend.PlaceColumns(code, destination, codes.Offset(k));
                    break;
                case UniformLatent uniform:
                    Backend.RandomUniform(code, uniform.Low, uniform.High, Seed, stream, counter);
                    Backend.PlaceColumns(code, destination, codes.Offset(k));
                    break;
                case CategoricalLatent categorical:
                    Backend.RandomUniform(code, 0f, categorical.Classes, Seed, stream, counter);
                    Backend.Categorical(code, destination, codes.Offset(k), categorical.Classes);
                    break;
            }
        }
    }

    /// <summary>
    /// A loss term on (rows, cols) <paramref name="prediction"/>: its gradient, times the term's weight (and
    /// <paramref name="scale"/>'s value when given), goes to <paramref name="gradient"/> (added with
    /// <paramref name="accumulate"/>); its reduced value is added to <paramref name="statistic"/> and written to
    /// <paramref name="value"/>, its mean score (sigmoid of a logit, else the prediction; accuracy for softmax
    /// cross-entropy) added to <paramref name="score"/>, each when given.
    /// </summary>
    /// <param name="term">The loss term.</param>
    /// <param name="prediction">x.</param>
    /// <param name="gradient">Where d loss / dx goes.</param>
    /// <param name="target">A target tensor (labels as floats for softmax cross-entropy) or a constant; none for the terms without.</param>
    /// <param name="statistic">A statistic that the reduced loss is added to.</param>
    /// <param name="score">A statistic that the mean score is added to.</param>
    /// <param name="value">A device scalar set to the reduced loss, for later kernels of the step.</param>
    /// <param name="scale">A device scalar multiplying the gradient when the kernel runs (BEGAN's k).</param>
    /// <param name="targetGradient">Where d loss / dt goes, when the target is itself computed (BEGAN's G(z) against D(G(z))).</param>
    /// <param name="accumulate">Add the gradients instead of overwriting them.</param>
    public void Loss(LossTerm term, Tensor prediction, Tensor gradient, LossTarget target = default, Statistic? statistic = null, Statistic? score = null,
        DeviceScalar? value = null, DeviceScalar? scale = null, Tensor targetGradient = default, bool accumulate = false)
    {
        var segment = Segment(term, prediction.Rows, prediction.Cols, target.Constant, statistic, score, value, scale);
        if (term.IsSoftmax)
        {
            if (!targetGradient.IsEmpty)
            {
                throw new ArgumentException("Softmax cross-entropy's integer targets have no gradient.", nameof(targetGradient));
            }

            Backend.SoftmaxCrossEntropy(prediction, target.Tensor, gradient, segment, accumulate);
            return;
        }

        Backend.Loss(term.Kind, new LossOperands(prediction, gradient, target.Tensor, targetGradient, accumulate: accumulate), segment);
    }

    /// <summary>
    /// A Gaussian loss term (<see cref="LossTerm.GaussianNegativeLogLikelihood"/>, <see cref="LossTerm.KlDivergenceToStandardNormal"/>)
    /// on a predicted <paramref name="mean"/> and <paramref name="logVariance"/>, with their gradients; as
    /// <see cref="Loss(LossTerm, Tensor, Tensor, LossTarget, Statistic?, Statistic?, DeviceScalar?, DeviceScalar?, Tensor, bool)"/> otherwise.
    /// </summary>
    public void Loss(LossTerm term, Tensor mean, Tensor logVariance, Tensor meanGradient, Tensor logVarianceGradient, LossTarget target = default,
        Statistic? statistic = null, Statistic? score = null, DeviceScalar? value = null, DeviceScalar? scale = null, Tensor targetGradient = default, bool accumulate = false)
    {
        var segment = Segment(term, mean.Rows, mean.Cols, target.Constant, statistic, score, value, scale);
        Backend.Loss(term.Kind, new LossOperands(mean, meanGradient, target.Tensor, targetGradient, logVariance, logVarianceGradient, accumulate), segment);
    }

    /// <summary>
    /// The backend <see cref="LossSegment"/> of <paramref name="term"/> over <paramref name="rows"/> rows of
    /// <paramref name="cols"/> outputs, for a launch of two segments (<see cref="Backend.Loss(LossKind, in LossOperands, in LossSegment, in LossSegment)"/>);
    /// the statistics it feeds are recorded as this step's.
    /// </summary>
    public LossSegment Segment(LossTerm term, int rows, int cols, float target = 0f, Statistic? statistic = null, Statistic? score = null,
        DeviceScalar? value = null, DeviceScalar? scale = null)
    {
        if (rows <= 0 || cols <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"A loss segment covers at least one row of at least one output, not ({rows}, {cols}).");
        }

        float reduction = term.ReductionScale(rows, cols);
        Touch(statistic);
        Touch(score);
        return new LossSegment
        {
            Rows = rows,
            Target = target,
            GradientScale = term.Weight * reduction,
            Weight = scale?.Tensor ?? default,
            ValueScale = reduction,
            Sum = statistic?.Sum ?? default,
            Score = score?.Sum ?? default,
            Value = value?.Tensor ?? default,
        };
    }

    /// <summary>Runs <paramref name="program"/> (one launch); statistics it adds to are recorded as this step's.</summary>
    public void Evaluate(ScalarProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var statistics = _trainer.TrainingStep.Statistics;
        var assignments = program.Assignments;
        for (int s = 0; s < statistics.Count; s++)
        {
            for (int a = 0; a < assignments.Count; a++)
            {
                if (assignments[a].Add && assignments[a].Target == statistics[s].Sum)
                {
                    Touch(statistics[s]);
                }
            }
        }

        Backend.Evaluate(program);
    }

    /// <summary>Marks <paramref name="statistic"/> as recorded by this step, for a kernel the step runs itself that adds to its <see cref="Statistic.Sum"/>.</summary>
    public void Touch(Statistic? statistic)
    {
        if (statistic is not null)
        {
            _touched |= 1UL << statistic.Index;
        }
    }

    /// <summary>
    /// Applies <paramref name="optimizer"/> to its networks' current gradients, after its learning-rate schedule (from
    /// <see cref="Epochs"/>); its step counter moves with the step's own, in the step's first launch, once the phase
    /// has run once.
    /// </summary>
    public void Update(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.UpdateSchedule(Epochs);
        bool once = !_updated.Contains(optimizer);
        _updated.Add(optimizer);
        if (once && _advanced is not null && _advanced.Contains(optimizer))
        {
            optimizer.StepCounted();
        }
        else
        {
            optimizer.Step();
        }
    }

    /// <summary>
    /// Starts a step of <paramref name="phase"/>: one launch moves the step counter, the batch position and the step
    /// counters of the optimizers this phase updates (once known).
    /// </summary>
    internal void Begin(int phase)
    {
        Phase = phase;
        _touched = 0;
        _updated.Clear();
        _advanced = _phaseOptimizers.GetValueOrDefault(phase);

        // Dropout masks new every step, a different stream position for each network; a step that runs a network
        // twice sets DropoutCounter itself before each pass (GanStep does).
        var networks = _trainer.TrainingStep.Networks;
        for (int i = 0; i < networks.Count; i++)
        {
            networks[i].Network.DropoutCounter = Steps.Times((ulong)networks.Count, (ulong)i);
        }

        int extra = _advanced?.Count ?? 0;
        int first = Math.Min(extra, Backend.MaxCountersPerAdd - 2);
        switch (first)
        {
            case 0:
                Backend.AddToCounters([(Steps, 1), (_trainer.PositionCounter, (ulong)BatchSize)]);
                break;
            case 1:
                Backend.AddToCounters([(Steps, 1), (_trainer.PositionCounter, (ulong)BatchSize), (_advanced![0].StepCounter, 1)]);
                break;
            default:
                Backend.AddToCounters([(Steps, 1), (_trainer.PositionCounter, (ulong)BatchSize), (_advanced![0].StepCounter, 1), (_advanced[1].StepCounter, 1)]);
                break;
        }

        for (int i = first; i < extra; i++)
        {
            Backend.AddToCounter(_advanced![i].StepCounter, 1);
        }
    }

    /// <summary>Ends the step: remembers which optimizers the phase updated once each, for its later runs.</summary>
    internal void End()
    {
        if (_advanced is null)
        {
            var once = _updated.Where(o => _updated.Count(u => ReferenceEquals(u, o)) == 1).ToList();
            _phaseOptimizers[Phase] = once;
        }
        else
        {
            for (int i = 0; i < _advanced.Count; i++)
            {
                if (!_updated.Contains(_advanced[i]))
                {
                    throw new InvalidOperationException(
                        $"A step of phase {Phase} did not update an optimizer its first step of that phase updated: a step must make the same calls every time it runs a phase (give a step that changes its calls another phase, or call Changed()).");
                }
            }
        }

        _advanced = null;
    }

    // A batch destination: at most the batch's rows (the batch is all the step may read of the data).
    private Tensor RequireBatch(Tensor destination, string name) =>
        destination.Rows <= BatchSize
            ? destination
            : throw new ArgumentException($"A step's batch holds {BatchSize} rows; the destination {destination} asks for {destination.Rows}.", name);

    /// <summary>Forgets what the phases updated (a step's parts changed).</summary>
    internal void Reset() => _phaseOptimizers.Clear();

    // Philox blocks of four values a tensor takes: the counter advances by this many per step.
    private static ulong Blocks(Tensor tensor) => (ulong)(((long)tensor.Length + 3) / 4);
}
