using System.Diagnostics;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Imaging;
using GanDsl.Randomness;

namespace GanDsl.Training;

/// <summary>
/// Trains a generator against a discriminator: each step draws noise, updates the discriminator on
/// a real and a generated batch, then updates the generator through the discriminator. Both networks
/// must live on the same backend; the step allocates nothing and never waits for the device, and
/// the loss statistics are read back only when they are reported.
/// </summary>
/// <remarks>
/// Every random number comes from the counter-based Philox generator at a position derived from
/// (seed, step, epoch), so the whole state of a run is its parameters, optimizer moments and
/// counters: a checkpoint holds exactly that, and a resumed run on the CPU is bit-identical to one
/// that never stopped.
/// </remarks>
/// <example>
/// <code>
/// using var backend = Backend.Auto();
/// var gan = new GanTrainer(new MnistGenerator(backend), new MnistDiscriminator(backend), new GanOptions { BatchSize = 64 });
/// gan.Fit(Mnist.Load().Train, epochs: 20);
/// </code>
/// </example>
public sealed partial class GanTrainer : IDisposable
{
    // Stats slots, summed on the device: fake loss, fake score, real loss, real score, generator loss,
    // generator score, gradient penalty (already a mean per step), spare.
    private const int StatSlots = 8;

    private readonly Network _generator;
    private readonly Network _discriminator;
    private readonly Backend _backend;
    private GanOptions _options;
    private readonly DeviceBuffer _stats;
    private readonly float[] _statsHost = new float[StatSlots];
    private readonly DeviceBuffer _fixedNoise;
    private readonly Optimizer _generatorOptimizer;
    private readonly Optimizer _discriminatorOptimizer;
    private readonly ulong _noiseBlocksPerStep;
    private readonly LossTerms _terms;
    private readonly bool _conditional;
    private readonly bool _separateBatches;
    private readonly DeviceBuffer? _penaltyGradient;
    private readonly DeviceBuffer? _fixedLabels;

    // Host-side sums: the device window since the last read, folded into the epoch's sums.
    private long _windowSteps;
    private long _windowGeneratorSteps;
    private readonly double[] _epochSums = new double[StatSlots];
    private long _epochSteps;
    private long _epochGeneratorSteps;
    private ImageSet? _images;
    private MnistDataset? _imagesSource;

    // The step number and the batch's position in the epoch's order, where the step's kernels read them,
    // so a captured step replays with the next values. The D-only and the D+G step each get a graph.
    private readonly DeviceCounter _steps;
    private readonly DeviceCounter _position;
    private readonly CapturedStep?[] _graphs = new CapturedStep?[2];

    /// <summary>Prepares training; checks that the two networks fit together.</summary>
    public GanTrainer(Network generator, Network discriminator, GanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(discriminator);
        _options = options ?? new GanOptions();
        _options.Validate();
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

        if (_options.Loss == GanLoss.WassersteinGradientPenalty && !discriminator.Layout.SupportsGradientPenalty)
        {
            throw new ArgumentException(
                $"WGAN-GP needs the critic's second-order pass: declare {discriminator.Layout.Name} with [GradientPenalty] (it then allows no BatchNorm, Tanh or Sigmoid).");
        }

        _generator = generator;
        _discriminator = discriminator;
        _backend = generator.Backend;
        _terms = LossTerms.For(_options.Loss, 1f - _options.LabelSmoothing);
        _conditional = generator.Layout.ConditionClasses > 0;

        // A discriminator with BatchNorm sees real and fake batches apart, as in the DCGAN paper,
        // so neither batch's statistics leak into the other's.
        _separateBatches = discriminator.Layout.States.Count > 0;
        int batch = _options.BatchSize;
        generator.EnsureCapacity(Math.Max(batch, _options.SampleCount));
        discriminator.EnsureCapacity(2 * batch);
        generator.RandomSeed = _options.Seed;
        discriminator.RandomSeed = _options.Seed;
        _steps = _backend.CreateCounter();
        _position = _backend.CreateCounter();
        _stats = _backend.Allocate(StatSlots);
        _fixedNoise = _backend.Allocate((long)_options.SampleCount * generator.InputFeatures);
        _backend.RandomNormal(_fixedNoise.All, _options.Seed, RandomStreams.FixedNoise, 0);
        if (_conditional)
        {
            // The sample grid shows one class per row.
            _fixedLabels = _backend.Allocate(_options.SampleCount);
            var labels = new float[_options.SampleCount];
            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = i / _options.SampleColumns % generator.Layout.ConditionClasses;
            }

            _backend.Upload(labels, _fixedLabels.All);
        }

        if (_options.Loss == GanLoss.WassersteinGradientPenalty)
        {
            _penaltyGradient = _backend.Allocate((long)batch * discriminator.InputFeatures);
        }

        _noiseBlocksPerStep = (ulong)(((long)batch * generator.InputFeatures + 3) / 4);
        _generatorOptimizer = Optimizer.Create(generator, _options.GeneratorOptimizer);
        _discriminatorOptimizer = Optimizer.Create(discriminator, _options.DiscriminatorOptimizer);
    }

    /// <summary>The generator being trained.</summary>
    public Network Generator => _generator;

    /// <summary>The discriminator being trained.</summary>
    public Network Discriminator => _discriminator;

    /// <summary>The generator's optimizer.</summary>
    public Optimizer GeneratorOptimizer => _generatorOptimizer;

    /// <summary>The discriminator's optimizer.</summary>
    public Optimizer DiscriminatorOptimizer => _discriminatorOptimizer;

    /// <summary>The options in use.</summary>
    public GanOptions Options => _options;

    /// <summary>Training steps taken so far.</summary>
    public long StepCount
    {
        get => (long)_steps.Value;
        private set => _backend.SetCounter(_steps, (ulong)value);
    }

    /// <summary>Whether steps are being replayed from captured graphs (CUDA with <see cref="GanOptions.CaptureSteps"/>).</summary>
    public bool CapturingSteps => _options.CaptureSteps && _backend.SupportsCapture;

    /// <summary>Epochs completed so far.</summary>
    public int EpochCount { get; private set; }

    /// <summary>Steps already taken in the epoch after <see cref="EpochCount"/> (non-zero after an interrupted epoch).</summary>
    public int EpochPosition { get; private set; }

    /// <summary>The newest checkpoint written or loaded, if any.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>The training curves logged so far (also written to <c>training.csv</c> when <see cref="GanOptions.LogDirectory"/> is set).</summary>
    public TrainingLog? Log { get; private set; }

    /// <summary>Called after every epoch with its results.</summary>
    public event Action<EpochResult>? EpochCompleted;

    /// <summary>Called by <see cref="Fit"/> after every step (and its gradient check) with the step count.</summary>
    public event Action<long>? StepCompleted;

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs have been completed in all (so a resumed run
    /// continues where it stopped) over <paramref name="data"/>, dropping each epoch's last partial
    /// batch; prints progress, writes sample grids, curves and checkpoints as the options say.
    /// Cancelling stops after the current step and writes a checkpoint of that point.
    /// </summary>
    /// <exception cref="TrainingDivergedException">A gradient became NaN or infinite.</exception>
    public IReadOnlyList<EpochResult> Fit(MnistDataset data, int epochs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (data.PixelsPerImage != _discriminator.InputFeatures)
        {
            throw new ArgumentException($"The images have {data.PixelsPerImage} pixels but the discriminator reads {_discriminator.InputFeatures} features.", nameof(data));
        }

        int batch = _options.BatchSize;
        int stepsPerEpoch = data.Count / batch;
        if (stepsPerEpoch == 0)
        {
            throw new ArgumentException($"The dataset has {data.Count} images, fewer than one batch of {batch}.", nameof(data));
        }

        var images = Upload(data);
        var results = new List<EpochResult>();
        var log = _options.Log;
        Log ??= new TrainingLog(_options.LogDirectory is { } dir ? Path.Combine(dir, "training.csv") : null, StepCount);
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(log, _options.ProgressBar);
        var order = new int[data.Count];
        var windowClock = Stopwatch.StartNew();
        while (EpochCount < epochs)
        {
            int epoch = EpochCount + 1;
            Philox.Permutation(order, _options.Seed, RandomStreams.Shuffle, (ulong)epoch);
            images.SetOrder(order);
            var epochStart = clock.Elapsed;
            int startPosition = EpochPosition;
            while (EpochPosition < stepsPerEpoch)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    progress.Clear();
                    FlushWindow(epoch, windowClock);
                    string? saved = _options.CheckpointDirectory is null ? null : WriteCheckpoint();
                    log?.WriteLine($"Stopped in epoch {epoch} after {EpochPosition} of {stepsPerEpoch} steps" +
                        (saved is null ? "." : $"; checkpoint {saved}"));
                    return results;
                }

                Step(images, EpochPosition * batch);
                EpochPosition++;
                if (!_backend.IsAsynchronous)
                {
                    // Cheap on the CPU; on a GPU it would wait for every step, so there it runs with each flush.
                    CheckGradients();
                }

                StepCompleted?.Invoke(StepCount);
                if (StepCount % _options.LogEvery == 0)
                {
                    FlushWindow(epoch, windowClock);
                }

                if (progress.Due)
                {
                    var running = EpochStats(PeekWindow());
                    progress.Show(epoch, epochs, EpochPosition, stepsPerEpoch, running, (EpochPosition - startPosition) * batch / (clock.Elapsed - epochStart).TotalSeconds);
                }
            }

            FlushWindow(epoch, windowClock);
            var stats = EpochStats(null);
            var seconds = (clock.Elapsed - epochStart).TotalSeconds;
            EpochCount = epoch;
            EpochPosition = 0;
            Array.Clear(_epochSums);
            _epochSteps = 0;
            _epochGeneratorSteps = 0;

            string? sample = null;
            if (_options.SampleDirectory is { } samples)
            {
                sample = SaveSamples(Path.Combine(samples, $"epoch_{epoch:D3}.png"));
            }

            if (_options.LogDirectory is { } logs && Log.Points.Count > 0)
            {
                LossPlot.Save(Path.Combine(logs, "training.png"), Log.Points);
            }

            if (_options.CheckpointDirectory is not null && (epoch == epochs || (_options.CheckpointEvery > 0 && epoch % _options.CheckpointEvery == 0)))
            {
                WriteCheckpoint();
            }

            var result = new EpochResult(epoch, stats, (stepsPerEpoch - startPosition) * batch / seconds, clock.Elapsed, sample);
            progress.Clear();
            log?.WriteLine(Describe(result, epochs));
            results.Add(result);
            EpochCompleted?.Invoke(result);
        }

        return results;
    }

    /// <summary>
    /// One training step on the images at positions [<paramref name="position"/>, position + batch)
    /// of <paramref name="images"/>' order: the discriminator's (critic's) update, then, every
    /// <see cref="GanOptions.CriticSteps"/> steps, the generator's.
    /// </summary>
    public void Step(ImageSet images, int position)
    {
        ArgumentNullException.ThrowIfNull(images);
        int b = _options.BatchSize;
        if (position < 0 || position + b > images.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"A batch of {b} from position {position} does not fit in {images.Count} images.");
        }

        if (_position.Value != (ulong)position)
        {
            _backend.SetCounter(_position, (ulong)position);
        }

        bool generatorStep = (StepCount + 1) % _options.CriticSteps == 0;
        if (CapturingSteps)
        {
            ReplayStep(images, generatorStep);
        }
        else
        {
            StepBody(images, generatorStep);
        }

        _windowSteps++;
        if (generatorStep)
        {
            _windowGeneratorSteps++;
        }
    }

    // The graph for this kind of step: the first step of a kind runs directly (it loads kernels and lets
    // cuBLAS pick its algorithms), the second is captured, and every later one replays. Anything a graph
    // baked in (the images, the options, the optimizers' settings, fusion, train mode, the activation
    // arenas' sizes and so their addresses) changing makes a new one.
    private void ReplayStep(ImageSet images, bool generatorStep)
    {
        var key = new StepKey(images, _options, _generatorOptimizer.SettingsVersion, _discriminatorOptimizer.SettingsVersion,
            _generator.FuseKernels, _discriminator.FuseKernels, _generator.Training, _discriminator.Training,
            _generator.Capacity, _discriminator.Capacity);
        ref var slot = ref _graphs[generatorStep ? 1 : 0];
        if (slot is { } current && current.Key != key)
        {
            current.Graph?.Dispose();
            slot = null;
        }

        if (slot is null || slot.Failed)
        {
            slot ??= new CapturedStep(key, null, false);
            StepBody(images, generatorStep);
            return;
        }

        if (slot.Graph is null)
        {
            try
            {
                slot = slot with { Graph = _backend.Capture(() => StepBody(images, generatorStep)) };
            }
            catch (Exception e) when (e is Cuda.CudaException or InvalidOperationException or NotSupportedException)
            {
                // Nothing ran and the counters are as they were: carry on call by call, and say so once.
                slot = slot with { Failed = true };
                _options.Log?.WriteLine($"note: could not capture the training step as a graph ({e.Message.Split('\n')[0]}); running it call by call");
                StepBody(images, generatorStep);
                return;
            }
        }

        slot.Graph!.Launch();
    }

    /// <summary>Whether the last steps were replayed from captured graphs (false before the second step, or when capture failed).</summary>
    public bool ReplayingGraphs => _graphs.Any(g => g?.Graph is not null);

    /// <summary>
    /// The replayed D+G step's graph: how many operations it holds and how many of them run one after another
    /// (its longest chain; fewer than the nodes where side branches run beside the main line). (0, 0) before the
    /// first replay, without graphs, or where the backend cannot say.
    /// </summary>
    public (int Nodes, int LongestChain) StepGraphShape =>
        _graphs[1]?.Graph is { } graph ? (graph.NodeCount, graph.LongestChain) : default;

    private sealed record CapturedStep(StepKey Key, StepGraph? Graph, bool Failed);

    private readonly record struct StepKey(ImageSet Images, GanOptions Options, int GeneratorSettings, int DiscriminatorSettings,
        bool GeneratorFused, bool DiscriminatorFused, bool GeneratorTraining, bool DiscriminatorTraining,
        int GeneratorCapacity, int DiscriminatorCapacity);

    /// <summary>
    /// The step itself, as backend calls only (so it can be captured). One launch first moves every counter the
    /// step reads: the step, the batch position (to the next batch: this one's is read back b before it), and the
    /// optimizers' steps; every per-step number is then read from them.
    /// </summary>
    private void StepBody(ImageSet images, bool generatorStep)
    {
        int b = _options.BatchSize;
        var g = _generator;
        var d = _discriminator;
        var backend = _backend;
        var optimizerD = _discriminatorOptimizer.StepCounter;
        var optimizerG = _generatorOptimizer.StepCounter;
        backend.AddToCounters(generatorStep
            ? [(_steps, 1), (_position, (ulong)b), (optimizerD, 1), (optimizerG, 1)]
            : [(_steps, 1), (_position, (ulong)b), (optimizerD, 1)]);
        var position = _position.Times(1, unchecked((ulong)-b)); // this batch's: the counter already points at the next

        // Noise (and, conditioned, the real batch's labels) -> generator: (B, z) -> (B, features).
        backend.RandomNormal(g.Input(b), _options.Seed, RandomStreams.Noise, _steps.Times(_noiseBlocksPerStep));
        if (_conditional)
        {
            backend.GatherLabels(images, position, g.Labels(b)); // the discriminator's copies follow, with the real rows
        }

        // On one batch of [fake; real] (and no penalty, whose interpolates overwrite the fake rows), the generator
        // writes its output straight into the discriminator's input rows: no copy between them.
        float scale = 1f / b;
        var dInput = d.Input(2 * b);
        bool joined = !_separateBatches && _penaltyGradient is null;
        if (joined)
        {
            g.RedirectOutput(dInput.Slice(0, b));
        }

        try
        {
            GeneratorAndDiscriminatorSteps(images, generatorStep, position, dInput, joined, scale);
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
    private void GeneratorAndDiscriminatorSteps(ImageSet images, bool generatorStep, CounterValue position, Tensor dInput, bool joined, float scale)
    {
        int b = _options.BatchSize;
        var g = _generator;
        var d = _discriminator;
        var backend = _backend;
        g.DropoutCounter = _steps;
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
            backend.GatherImages(images, position, dInput.Slice(b, b));
            backend.EndBranch();
        }

        g.Forward(b);

        d.DropoutCounter = _steps.Times(4);
        if (_separateBatches)
        {
            // Real, then fake, each a batch of its own for BatchNorm; the gradients add up.
            backend.GatherImages(images, position, dInput.Slice(0, b));
            d.Forward(b);
            backend.Loss(_terms.Real, new LossOperands(d.Output(b), d.OutputGradient(b)), Segment(b, _terms.RealTarget, scale, 2));
            d.Backward(b);
            backend.Copy(g.Output(b), dInput.Slice(0, b));
            d.DropoutCounter = _steps.Times(4, 1);
            d.Forward(b);
            backend.Loss(_terms.Fake, new LossOperands(d.Output(b), d.OutputGradient(b)), Segment(b, _terms.FakeTarget, scale, 0));
            d.Backward(b, accumulate: true);
        }
        else
        {
            // [fake; real] as one batch of 2B rows: larger GEMMs, one pass.
            if (!joined)
            {
                backend.Copy(g.Output(b), dInput.Slice(0, b));
            }

            backend.JoinBranches();
            d.Forward(2 * b);
            var outputs = d.Output(2 * b);
            var gradients = d.OutputGradient(2 * b);
            backend.Loss(_terms.Fake, new LossOperands(outputs, gradients), Segment(b, _terms.FakeTarget, scale, 0), Segment(b, _terms.RealTarget, scale, 2));
            d.Backward(2 * b);
        }

        if (_penaltyGradient is not null)
        {
            AddGradientPenalty(dInput, b);
        }

        _discriminatorOptimizer.StepCounted();
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

            d.DropoutCounter = _steps.Times(4, 3);
            d.Forward(b);
            backend.Loss(_terms.Generator, new LossOperands(d.Output(b), d.OutputGradient(b)), Segment(b, _terms.GeneratorTarget, scale, 4));
            d.Backward(b, weightGradients: false, inputGradient: true);
            g.Backward(b, outputGradient: d.InputGradient(b));
            _generatorOptimizer.StepCounted();
        }
    }

    // A loss segment of b rows: the sum of its values into stats slot `slot`, its mean score into the next.
    private LossSegment Segment(int b, float target, float scale, int slot) => new()
    {
        Rows = b,
        Target = target,
        GradientScale = scale,
        ValueScale = 1f,
        Sum = _stats.View(slot, 1, 1),
        Score = _stats.View(slot + 1, 1, 1),
    };

    /// <summary>Conditioned: the batch's labels (in the generator's) for the discriminator's fake rows and real rows.</summary>
    private void CopyLabelsToDiscriminator(int b)
    {
        if (_conditional)
        {
            var labels = _generator.Labels(b);
            _backend.Copy(labels, _discriminator.Labels(2 * b).Slice(0, b));
            _backend.Copy(labels, _discriminator.Labels(2 * b).Slice(b, b));
        }
    }

    /// <summary>WGAN-GP: the penalty at interpolates of the real and fake rows, its gradient added to the critic's.</summary>
    private void AddGradientPenalty(Tensor dInput, int b)
    {
        var d = _discriminator;
        var backend = _backend;
        var interpolates = dInput.Slice(0, b);
        backend.Interpolate(dInput.Slice(b, b), _generator.Output(b), interpolates, _options.Seed, RandomStreams.Interpolation, _steps.Times((ulong)((b + 3) / 4)));
        d.DropoutCounter = _steps.Times(4, 2);
        d.Forward(b);
        var ones = d.OutputGradient(b);
        backend.Fill(ones, 1f);
        d.Backward(b, weightGradients: false, inputGradient: true);
        var tangent = _penaltyGradient!.View(0, b, d.InputFeatures);
        backend.GradientPenalty(d.InputGradient(b), _options.GradientPenaltyWeight / b, tangent, _stats.View(6, 1, 2));
        d.GradientPenaltyBackward(b, tangent, ones);
    }

    /// <summary>Uploads a dataset to the backend (once per dataset) for use with <see cref="Step"/>.</summary>
    public ImageSet Upload(MnistDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_images is null || !ReferenceEquals(_imagesSource, data))
        {
            DisposeGraphs();
            _images?.Dispose();
            _images = _backend.CreateImageSet(data.Images, data.Count, data.PixelsPerImage, data.Labels);
            _imagesSource = data;
        }

        return _images;
    }

    /// <summary>Averages over the steps since the last <see cref="ReadStats"/> (or the start), and starts a new window.</summary>
    public TrainingStats ReadStats()
    {
        var sums = PeekWindow();
        var stats = Average(sums.Select(v => (double)v).ToArray(), _windowSteps, _windowGeneratorSteps);
        ResetWindow();
        return stats;
    }

    /// <summary>
    /// Runs the generator on the fixed sample noise and returns its first <see cref="GanOptions.SampleCount"/>
    /// images as (count, features) floats in [-1, 1].
    /// </summary>
    public float[] GenerateSamples()
    {
        int n = _options.SampleCount;
        _backend.Copy(_fixedNoise.All, _generator.Input(n).Reshape(1, _fixedNoise.All.Length));
        if (_fixedLabels is not null)
        {
            _backend.Copy(_fixedLabels.All, _generator.Labels(n).Reshape(1, n));
        }

        bool training = _generator.Training;
        _generator.Training = false;
        _generator.Forward(n);
        _generator.Training = training;
        var pixels = new float[n * _generator.OutputFeatures];
        _backend.Download(_generator.Output(n), pixels);
        return pixels;
    }

    /// <summary>
    /// Runs the generator (in evaluation mode) on <paramref name="count"/> fresh noise vectors, from the
    /// seed's evaluation stream so the same count gives the same images, and returns (count, features)
    /// floats in [-1, 1]. A conditional generator is asked for the classes in turn (0, 1, ..., 0, 1, ...),
    /// which <paramref name="labels"/> receives when given.
    /// </summary>
    public float[] Generate(int count, Span<int> labels = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int chunk = _generator.Capacity;
        int features = _generator.OutputFeatures;
        int classes = _generator.Layout.ConditionClasses;
        var pixels = new float[(long)count * features];
        var chunkLabels = classes > 0 ? new float[chunk] : null;
        ulong blocksPerChunk = (ulong)(((long)chunk * _generator.InputFeatures + 3) / 4);
        bool training = _generator.Training;
        _generator.Training = false;
        for (int start = 0, c = 0; start < count; start += chunk, c++)
        {
            int rows = Math.Min(chunk, count - start);
            _backend.RandomNormal(_generator.Input(rows), _options.Seed, RandomStreams.Evaluation, (ulong)c * blocksPerChunk);
            if (chunkLabels is not null)
            {
                for (int r = 0; r < rows; r++)
                {
                    chunkLabels[r] = (start + r) % classes;
                    if (!labels.IsEmpty)
                    {
                        labels[start + r] = (start + r) % classes;
                    }
                }

                _backend.Upload(chunkLabels.AsSpan(0, rows), _generator.Labels(rows));
            }

            _generator.Forward(rows);
            _backend.Download(_generator.Output(rows), pixels.AsSpan(start * features, rows * features));
        }

        _generator.Training = training;
        return pixels;
    }

    /// <summary>Writes a grid of the generator's images for the fixed sample noise to <paramref name="path"/> as PNG.</summary>
    public string SaveSamples(string path)
    {
        var pixels = GenerateSamples();
        var (height, width) = ImageShape(_generator.OutputFeatures);
        ImageGrid.Save(path, pixels, _options.SampleCount, height, width, _options.SampleColumns, padding: 2, scale: 2);
        return path;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        DisposeGraphs();
        _images?.Dispose();
        _steps.Dispose();
        _position.Dispose();
        _stats.Dispose();
        _fixedNoise.Dispose();
        _fixedLabels?.Dispose();
        _penaltyGradient?.Dispose();
        _generatorOptimizer.Dispose();
        _discriminatorOptimizer.Dispose();
    }

    private void DisposeGraphs()
    {
        for (int i = 0; i < _graphs.Length; i++)
        {
            _graphs[i]?.Graph?.Dispose();
            _graphs[i] = null;
        }
    }

    /// <summary>Square images when the width is a square (784 = 28 x 28), else one row.</summary>
    internal static (int Height, int Width) ImageShape(int features)
    {
        int side = (int)Math.Round(Math.Sqrt(features));
        return side * side == features ? (side, side) : (1, features);
    }

    private float[] PeekWindow()
    {
        _backend.Download(_stats.All, _statsHost);
        return _statsHost;
    }

    private void ResetWindow()
    {
        _backend.Fill(_stats.All, 0f);
        _windowSteps = 0;
        _windowGeneratorSteps = 0;
    }

    /// <summary>Moves the device window into the epoch's sums and, when a log is kept, adds a log point.</summary>
    private void FlushWindow(int epoch, Stopwatch windowClock)
    {
        if (_windowSteps == 0)
        {
            return;
        }

        var sums = PeekWindow();
        var stats = Average(sums.Select(v => (double)v).ToArray(), _windowSteps, _windowGeneratorSteps);
        if (_backend.IsAsynchronous)
        {
            CheckGradients();
        }

        if (!stats.IsFinite)
        {
            throw Diverged($"the losses are not finite ({stats})");
        }

        for (int i = 0; i < StatSlots; i++)
        {
            _epochSums[i] += sums[i];
        }

        _epochSteps += _windowSteps;
        _epochGeneratorSteps += _windowGeneratorSteps;
        Log?.Add(new LogPoint(StepCount, epoch, stats, _windowSteps * _options.BatchSize / windowClock.Elapsed.TotalSeconds));
        windowClock.Restart();
        ResetWindow();
    }

    /// <summary>Averages of the epoch so far, plus an optional unflushed window.</summary>
    private TrainingStats EpochStats(float[]? window)
    {
        var sums = (double[])_epochSums.Clone();
        long steps = _epochSteps, generatorSteps = _epochGeneratorSteps;
        if (window is not null)
        {
            for (int i = 0; i < StatSlots; i++)
            {
                sums[i] += window[i];
            }

            steps += _windowSteps;
            generatorSteps += _windowGeneratorSteps;
        }

        return Average(sums, steps, generatorSteps);
    }

    // Per-sample means; the gradient penalty is already a mean per step.
    private TrainingStats Average(double[] s, long steps, long generatorSteps)
    {
        double n = Math.Max(1, steps) * (double)_options.BatchSize;
        double ng = Math.Max(1, generatorSteps) * (double)_options.BatchSize;
        return new TrainingStats(steps, (s[0] + s[2]) / n + s[6] / Math.Max(1, steps), s[4] / ng, s[3] / Math.Max(1, steps), s[1] / Math.Max(1, steps));
    }

    private void CheckGradients()
    {
        // The Adam pass flags NaN or infinite gradients as it reads them; reading the flags is cheap on the CPU.
        if (_discriminatorOptimizer.TakeNonFiniteFlag())
        {
            throw Diverged($"the discriminator {_discriminator.Layout.Name}'s gradients contain NaN or infinity");
        }

        if (_generatorOptimizer.TakeNonFiniteFlag())
        {
            throw Diverged($"the generator {_generator.Layout.Name}'s gradients contain NaN or infinity");
        }
    }

    private TrainingDivergedException Diverged(string what) => new(
        $"Training diverged at step {StepCount} (epoch {EpochCount + 1}): {what}. " +
        (LastCheckpoint is null
            ? "No checkpoint was written before it (set a checkpoint directory to keep one)."
            : $"The last good checkpoint is kept: {LastCheckpoint}; resume from it, perhaps with a lower learning rate."));

    private static string Describe(EpochResult r, int epochs)
    {
        var s = r.Stats;
        string width = epochs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string epoch = r.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width.Length);
        string line = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"epoch {epoch}/{width}  D loss {s.DiscriminatorLoss:F4}  G loss {s.GeneratorLoss:F4}  D(x) {s.RealScore:F3}  D(G(z)) {s.FakeScore:F3}  {r.ImagesPerSecond:N0} img/s  elapsed {r.Elapsed:hh\\:mm\\:ss}");
        return r.SamplePath is null ? line : line + "  samples " + r.SamplePath;
    }
}
