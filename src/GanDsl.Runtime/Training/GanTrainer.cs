using GanDsl.Backends;
using GanDsl.Data;

namespace GanDsl;

/// <summary>
/// Trains a generator against a discriminator: <see cref="Trainer"/> running a <see cref="GanStep"/>, with the
/// GAN's own conveniences (its networks and optimizers, D loss / G loss / D(x) / D(G(z)) as
/// <see cref="TrainingStats"/>, generating images for metrics and export).
/// </summary>
/// <example>
/// <code>
/// using var backend = Backend.Auto();
/// var gan = new GanTrainer(new MnistGenerator(backend), new MnistDiscriminator(backend), new GanOptions { BatchSize = 64 });
/// gan.Fit(Mnist.Load().Train, epochs: 20);
/// </code>
/// </example>
public sealed class GanTrainer : Trainer
{
    private readonly GanStep _gan;

    /// <summary>Prepares training; checks that the two networks fit together.</summary>
    public GanTrainer(Network generator, Network discriminator, GanOptions? options = null)
        : this(new GanStep(generator, discriminator, options ?? new GanOptions()))
    {
    }

    private GanTrainer(GanStep step)
        : base(step, step.Options)
    {
        _gan = step;
    }

    /// <summary>The generator being trained.</summary>
    public Network Generator => _gan.Generator;

    /// <summary>The discriminator being trained.</summary>
    public Network Discriminator => _gan.Discriminator;

    /// <summary>The generator's optimizer.</summary>
    public Optimizer GeneratorOptimizer => _gan.GeneratorOptimizer;

    /// <summary>The discriminator's optimizer.</summary>
    public Optimizer DiscriminatorOptimizer => _gan.DiscriminatorOptimizer;

    /// <summary>The options in use (after resuming, with the checkpoint's seed).</summary>
    public new GanOptions Options => (GanOptions)base.Options;

    /// <summary>Uploads a dataset to the backend (once per dataset) for use with <see cref="Step(ImageSet, int)"/>; returns its images.</summary>
    public ImageSet Upload(MnistDataset data) => Upload((TrainingData)data).Domain(0);

    /// <summary>One training step on the images at positions [<paramref name="position"/>, position + batch) of <paramref name="images"/>' order.</summary>
    public void Step(ImageSet images, int position)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (CurrentData is not { } data || !ReferenceEquals(data.Domain(0), images))
        {
            throw new ArgumentException("Step runs on the images this trainer uploaded last (GanTrainer.Upload).", nameof(images));
        }

        Step(data, position);
    }

    /// <summary>
    /// D loss, G loss, D(x) and D(G(z)) averaged over the steps since the last read (or the start), and starts a new
    /// window; a statistic no step of the window recorded (G loss between generator steps) reads 0.
    /// </summary>
    public new TrainingStats ReadStats()
    {
        var values = base.ReadStats();
        double Value(int index) => values.Recorded(index) ? values.Values[index] : 0;
        return new TrainingStats(values.Steps, Value(0), Value(1), Value(2), Value(3));
    }

    /// <inheritdoc cref="GeneratorStep.GenerateSamples"/>
    public float[] GenerateSamples() => _gan.GenerateSamples();

    /// <inheritdoc cref="IImageGenerator.Generate"/>
    public float[] Generate(int count, Span<int> labels = default) => _gan.Generate(count, labels);

    /// <summary>Writes a grid of the generator's images for the fixed sample noise to <paramref name="path"/> as PNG.</summary>
    public new string SaveSamples(string path) => base.SaveSamples(path)!;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _gan.Dispose();
        }
    }
}
