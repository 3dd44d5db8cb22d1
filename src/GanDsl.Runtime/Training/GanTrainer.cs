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
/// <example>
/// <code>
/// using var backend = Backends.Backend.Auto();
/// var gan = new GanTrainer(new MnistGenerator(backend), new MnistDiscriminator(backend), new GanOptions { BatchSize = 64 });
/// gan.Fit(Mnist.Load().Train, epochs: 20);
/// </code>
/// </example>
public sealed class GanTrainer : IDisposable
{
    // Stats slots, summed over steps on the device: fake BCE, D(G(z)), real BCE, D(x), generator BCE, D(G(z)) after the update.
    private const int StatSlots = 6;

    private readonly Network _generator;
    private readonly Network _discriminator;
    private readonly Backend _backend;
    private readonly GanOptions _options;
    private readonly DeviceBuffer _stats;
    private readonly float[] _statsHost = new float[StatSlots];
    private readonly DeviceBuffer _fixedNoise;
    private readonly AdamOptimizer _generatorOptimizer;
    private readonly AdamOptimizer _discriminatorOptimizer;
    private readonly ulong _noiseBlocksPerStep;
    private long _statsSteps;
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

    /// <summary>The options in use.</summary>
    public GanOptions Options => _options;

    /// <summary>The generator's optimizer.</summary>
    public AdamOptimizer GeneratorOptimizer => _generatorOptimizer;

    /// <summary>The discriminator's optimizer.</summary>
    public AdamOptimizer DiscriminatorOptimizer => _discriminatorOptimizer;

    /// <summary>Training steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Epochs completed so far.</summary>
    public int EpochCount { get; private set; }

    /// <summary>Called after every epoch with its results.</summary>
    public event Action<EpochResult>? EpochCompleted;

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="data"/> (the last partial batch of
    /// each epoch is dropped), printing progress and writing a sample grid after each epoch.
    /// Cancelling stops after the current step and returns the epochs completed.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(MnistDataset data, int epochs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
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
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(log, _options.ProgressBar);
        var order = new int[data.Count];
        for (int e = 0; e < epochs && !cancellationToken.IsCancellationRequested; e++)
        {
            int epoch = EpochCount + 1;
            Shuffle(order, epoch);
            images.SetOrder(order);
            ResetStats();
            var epochStart = clock.Elapsed;
            int steps = 0;
            for (; steps < stepsPerEpoch && !cancellationToken.IsCancellationRequested; steps++)
            {
                Step(images, steps * batch);
                if (progress.Due)
                {
                    var running = PeekStats();
                    CheckFinite(running);
                    progress.Show(epoch, epochs, steps + 1, stepsPerEpoch, running, (steps + 1) * batch / (clock.Elapsed - epochStart).TotalSeconds);
                }
            }

            if (steps < stepsPerEpoch)
            {
                progress.Clear();
                log?.WriteLine($"Stopped during epoch {epoch} after {steps} of {stepsPerEpoch} steps.");
                break;
            }

            var stats = ReadStats();
            CheckFinite(stats);
            EpochCount = epoch;
            var seconds = (clock.Elapsed - epochStart).TotalSeconds;
            string? sample = null;
            if (_options.SampleDirectory is { } directory)
            {
                sample = SaveSamples(Path.Combine(directory, $"epoch_{epoch:D3}.png"));
            }

            var result = new EpochResult(epoch, stats, stepsPerEpoch * batch / seconds, clock.Elapsed, sample);
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
        _statsSteps++;
    }

    /// <summary>Uploads a dataset to the backend (once per dataset) for use with <see cref="Step"/>.</summary>
    public ImageSet Upload(MnistDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_images is null || !ReferenceEquals(_imagesSource, data))
        {
            _images?.Dispose();
            _images = _backend.CreateImageSet(data.Images, data.Count, data.PixelsPerImage);
            _imagesSource = data;
        }

        return _images;
    }

    /// <summary>Averages since the last <see cref="ReadStats"/> (or the start), and starts a new window.</summary>
    public TrainingStats ReadStats()
    {
        var stats = PeekStats();
        ResetStats();
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

    /// <summary>Writes a grid of the generator's images for the fixed sample noise to <paramref name="path"/> as PNG.</summary>
    public string SaveSamples(string path)
    {
        var pixels = GenerateSamples();
        int side = (int)Math.Round(Math.Sqrt(_generator.OutputFeatures));
        int height = side * side == _generator.OutputFeatures ? side : 1;
        int width = _generator.OutputFeatures / height;
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

    private TrainingStats PeekStats()
    {
        _backend.Download(_stats.All, _statsHost);
        double n = Math.Max(1, _statsSteps) * (double)_options.BatchSize;
        var s = _statsHost;
        return new TrainingStats(_statsSteps, (s[0] + s[2]) / n, s[4] / n, s[3] / n, s[1] / n);
    }

    private void ResetStats()
    {
        _backend.Fill(_stats.All, 0f);
        _statsSteps = 0;
    }

    private void CheckFinite(TrainingStats stats)
    {
        if (!stats.IsFinite)
        {
            throw new TrainingDivergedException(
                $"Training diverged by step {StepCount}: discriminator loss {stats.DiscriminatorLoss}, generator loss {stats.GeneratorLoss} " +
                $"({_discriminator.Layout.Name} / {_generator.Layout.Name}). Try a lower learning rate.");
        }
    }

    private void Shuffle(int[] order, int epoch)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // Fisher-Yates, each swap drawing from Philox at (seed, shuffle stream, epoch, i): reproducible per epoch.
        ulong baseCounter = (ulong)epoch << 32;
        for (int i = order.Length - 1; i > 0; i--)
        {
            uint bits = Philox.Block(_options.Seed, RandomStreams.Shuffle, baseCounter + (ulong)i).X0;
            int j = Philox.Below(bits, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

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
