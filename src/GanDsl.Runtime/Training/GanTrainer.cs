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
    // Stats slots, summed over steps on the device: fake BCE, D(G(z)), real BCE, D(x), generator BCE, spare.
    private const int StatSlots = 6;

    private readonly Network _generator;
    private readonly Network _discriminator;
    private readonly Backend _backend;
    private GanOptions _options;
    private readonly DeviceBuffer _stats;
    private readonly float[] _statsHost = new float[StatSlots];
    private readonly DeviceBuffer _fixedNoise;
    private readonly AdamOptimizer _generatorOptimizer;
    private readonly AdamOptimizer _discriminatorOptimizer;
    private readonly ulong _noiseBlocksPerStep;

    // Host-side sums: the device window since the last read, folded into the epoch's sums.
    private long _windowSteps;
    private readonly double[] _epochSums = new double[StatSlots];
    private long _epochSteps;
    private ImageSet? _images;
    private MnistDataset? _imagesSource;

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
                $"The discriminator {discriminator.Layout.Name} must end in one logit (a Dense(1) without activation), but it outputs {discriminator.OutputFeatures} features.");
        }

        _generator = generator;
        _discriminator = discriminator;
        _backend = generator.Backend;
        int batch = _options.BatchSize;
        generator.EnsureCapacity(Math.Max(batch, _options.SampleCount));
        discriminator.EnsureCapacity(2 * batch);
        _stats = _backend.Allocate(StatSlots);
        _fixedNoise = _backend.Allocate((long)_options.SampleCount * generator.InputFeatures);
        _backend.RandomNormal(_fixedNoise.All, _options.Seed, RandomStreams.FixedNoise, 0);
        _noiseBlocksPerStep = (ulong)(((long)batch * generator.InputFeatures + 3) / 4);
        _generatorOptimizer = new AdamOptimizer(generator, _options.GeneratorOptimizer);
        _discriminatorOptimizer = new AdamOptimizer(discriminator, _options.DiscriminatorOptimizer);
    }

    /// <summary>The generator being trained.</summary>
    public Network Generator => _generator;

    /// <summary>The discriminator being trained.</summary>
    public Network Discriminator => _discriminator;

    /// <summary>The generator's optimizer.</summary>
    public AdamOptimizer GeneratorOptimizer => _generatorOptimizer;

    /// <summary>The discriminator's optimizer.</summary>
    public AdamOptimizer DiscriminatorOptimizer => _discriminatorOptimizer;

    /// <summary>The options in use.</summary>
    public GanOptions Options => _options;

    /// <summary>Training steps taken so far.</summary>
    public long StepCount { get; private set; }

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
                CheckGradients();
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
    /// of <paramref name="images"/>' order: the discriminator's update, then the generator's.
    /// </summary>
    public void Step(ImageSet images, int position)
    {
        ArgumentNullException.ThrowIfNull(images);
        int b = _options.BatchSize;
        var g = _generator;
        var d = _discriminator;
        var backend = _backend;
        StepCount++;

        // Noise -> generator: (B, z) -> (B, features).
        backend.RandomNormal(g.Input(b), _options.Seed, RandomStreams.Noise, (ulong)StepCount * _noiseBlocksPerStep);
        g.Forward(b);

        // The discriminator sees [fake; real] as one batch of 2B rows: larger GEMMs, one pass.
        var dInput = d.Input(2 * b);
        backend.Copy(g.Output(b), dInput.Slice(0, b));
        backend.GatherImages(images, position, dInput.Slice(b, b));
        d.Forward(2 * b);
        var logits = d.Output(2 * b);
        var dLogits = d.OutputGradient(2 * b);
        float scale = 1f / b;
        backend.BceWithLogits(logits.Slice(0, b), 0f, scale, dLogits.Slice(0, b), _stats.View(0, 1, 2));
        backend.BceWithLogits(logits.Slice(b, b), 1f, scale, dLogits.Slice(b, b), _stats.View(2, 1, 2));
        d.Backward(2 * b);
        _discriminatorOptimizer.Step();

        // Generator step through the updated discriminator; rows [0, B) of its input still hold the fakes.
        d.Forward(b);
        backend.BceWithLogits(d.Output(b), 1f, scale, d.OutputGradient(b), _stats.View(4, 1, 2));
        d.Backward(b, weightGradients: false, inputGradient: true);
        g.Backward(b, outputGradient: d.InputGradient(b));
        _generatorOptimizer.Step();
        _windowSteps++;
    }

    /// <summary>Uploads a dataset to the backend (once per dataset) for use with <see cref="Step"/>.</summary>
    public ImageSet Upload(MnistDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_images is null || !ReferenceEquals(_imagesSource, data))
        {
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
        var stats = Average(sums, _windowSteps);
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
        _generator.Forward(n);
        var pixels = new float[n * _generator.OutputFeatures];
        _backend.Download(_generator.Output(n), pixels);
        return pixels;
    }

    /// <summary>
    /// Runs the generator on <paramref name="count"/> fresh noise vectors (from the seed's evaluation
    /// stream, so the same count gives the same images) and returns (count, features) floats in [-1, 1].
    /// </summary>
    public float[] Generate(int count, ulong stream = RandomStreams.Evaluation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int chunk = _generator.Capacity;
        int features = _generator.OutputFeatures;
        var pixels = new float[(long)count * features];
        ulong blocksPerChunk = (ulong)(((long)chunk * _generator.InputFeatures + 3) / 4);
        for (int start = 0, c = 0; start < count; start += chunk, c++)
        {
            int rows = Math.Min(chunk, count - start);
            _backend.RandomNormal(_generator.Input(rows), _options.Seed, stream, (ulong)c * blocksPerChunk);
            _generator.Forward(rows);
            _backend.Download(_generator.Output(rows), pixels.AsSpan(start * features, rows * features));
        }

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
        _images?.Dispose();
        _stats.Dispose();
        _fixedNoise.Dispose();
        _generatorOptimizer.Dispose();
        _discriminatorOptimizer.Dispose();
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
    }

    /// <summary>Moves the device window into the epoch's sums and, when a log is kept, adds a log point.</summary>
    private void FlushWindow(int epoch, Stopwatch windowClock)
    {
        if (_windowSteps == 0)
        {
            return;
        }

        var sums = PeekWindow();
        var stats = Average(sums, _windowSteps);
        if (!stats.IsFinite)
        {
            throw Diverged($"the losses are not finite ({stats})");
        }

        for (int i = 0; i < StatSlots; i++)
        {
            _epochSums[i] += sums[i];
        }

        _epochSteps += _windowSteps;
        Log?.Add(new LogPoint(StepCount, epoch, stats, _windowSteps * _options.BatchSize / windowClock.Elapsed.TotalSeconds));
        windowClock.Restart();
        ResetWindow();
    }

    /// <summary>Averages of the epoch so far, plus an optional unflushed window.</summary>
    private TrainingStats EpochStats(float[]? window)
    {
        var sums = (double[])_epochSums.Clone();
        long steps = _epochSteps;
        if (window is not null)
        {
            for (int i = 0; i < StatSlots; i++)
            {
                sums[i] += window[i];
            }

            steps += _windowSteps;
        }

        return Average(sums, steps);
    }

    private TrainingStats Average(IReadOnlyList<float> sums, long steps) =>
        Average(sums.Select(v => (double)v).ToArray(), steps);

    private TrainingStats Average(double[] s, long steps)
    {
        double n = Math.Max(1, steps) * (double)_options.BatchSize;
        return new TrainingStats(steps, (s[0] + s[2]) / n, s[4] / n, s[3] / n, s[1] / n);
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
