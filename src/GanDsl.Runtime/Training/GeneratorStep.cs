using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// A step that trains a generator of images from noise (every GAN): registers it as the part <c>generator</c>, and
/// gives the loop its sample grid (fixed noise, one class per row when conditioned) and the samples' <c>eval</c> and
/// <c>--export</c> fresh images (<see cref="IImageGenerator"/>).
/// </summary>
public abstract class GeneratorStep : TrainingStep, IImageGenerator
{
    private ImageSampler _sampler;
    private Network? _average;
    private float _averageDecay;

    /// <summary>A step training <paramref name="generator"/> on batches of <paramref name="batchSize"/>; grids of <paramref name="sampleCount"/> images, <paramref name="sampleColumns"/> per row.</summary>
    protected GeneratorStep(Network generator, int batchSize, int sampleCount = 64, int sampleColumns = 8)
        : base(generator?.Backend ?? throw new ArgumentNullException(nameof(generator)), batchSize)
    {
        Generator = AddNetwork("generator", generator);
        _sampler = new ImageSampler(generator, this, sampleCount, sampleColumns);
    }

    /// <summary>The generator.</summary>
    public Network Generator { get; }

    /// <summary>
    /// The generator's averaged twin (<see cref="KeepAverage"/>), which draws the sample grids, <c>eval</c>'s and
    /// <c>--export</c>'s images; null when the step keeps no average.
    /// </summary>
    public Network? Average => _average;

    /// <summary>
    /// Keeps an exponential moving average of the generator's weights and BatchNorm statistics in a twin of it (a
    /// part named <c>generator.average</c>, so checkpoints hold it), which then draws every image the step gives out:
    /// the averaged generator of Yazıcı et al. 2019 (and of ProGAN, BigGAN, StyleGAN), whose images are cleaner
    /// than the last step's. Call it in the constructor; call <see cref="UpdateAverage"/> after each generator update.
    /// </summary>
    /// <param name="decay">The most weight the old average keeps each update, in (0, 1); 0.999 is usual.</param>
    protected void KeepAverage(float decay)
    {
        if (!(decay > 0f && decay < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The generator's average decays by a number in (0, 1), such as 0.999.");
        }

        if (_average is not null)
        {
            throw new InvalidOperationException("The step already keeps the generator's average.");
        }

        var generator = Generator;
        if (generator.Layout.SharedParameterCount > 0)
        {
            throw new ArgumentException($"The generator {generator.Layout.Name} uses another network's layers, which its average cannot keep apart.", nameof(decay));
        }

        var twin = Twin(generator);
        try
        {
            twin.SetParameters(generator.GetParameters());
            twin.SetState(generator.GetState());
            AddNetwork("generator.average", twin);
        }
        catch
        {
            twin.Dispose();
            throw;
        }

        var sampler = new ImageSampler(twin, this, _sampler.Count, _sampler.Columns);
        _sampler.Dispose();
        _sampler = sampler;
        _average = twin;
        _averageDecay = decay;
    }

    /// <summary>
    /// Moves the average (<see cref="KeepAverage"/>) towards the generator's weights and statistics; <paramref name="update"/>
    /// counts the generator's updates (its optimizer's <see cref="Optimizer.StepCounter"/>). Nothing when the step keeps no average.
    /// </summary>
    protected void UpdateAverage(CounterValue update)
    {
        if (_average is null)
        {
            return;
        }

        Backend.MovingAverage(Generator.Parameters, _average.Parameters, _averageDecay, update);
        if (!Generator.State.IsEmpty)
        {
            Backend.MovingAverage(Generator.State, _average.State, _averageDecay, update);
        }
    }

    // A network of the generator's type and layout, made by its generated (Backend, ulong seed) constructor.
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Generated networks keep their constructor; a network without one is refused by name.")]
    private static Network Twin(Network generator)
    {
        var constructor = generator.GetType().GetConstructor([typeof(Backend), typeof(ulong)])
            ?? throw new ArgumentException($"Averaging the generator needs {generator.GetType().Name} to have a (Backend, ulong seed) constructor, as the generated networks have.", nameof(generator));
        return (Network)constructor.Invoke([generator.Backend, 0UL]);
    }

    /// <inheritdoc />
    public int ClassCount => Generator.Layout.ConditionClasses;

    /// <summary>Refuses data whose images (domain 0) are not what the generator makes, or lack the labels a conditional generator needs.</summary>
    public override void CheckData(Data.TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var images = data.Domains[0];
        if (images.PixelsPerImage != Generator.OutputFeatures)
        {
            throw new ArgumentException($"The images have {images.PixelsPerImage} pixels but the generator {Generator.Layout.Name} makes {Generator.OutputFeatures}.", nameof(data));
        }

        if (ClassCount > 0 && (!images.HasLabels || images.Classes > ClassCount))
        {
            throw new ArgumentException(
                $"A conditional generator of {ClassCount} classes needs images labelled 0-{ClassCount - 1}; these have {(images.HasLabels ? images.Classes + " classes" : "no labels")}.", nameof(data));
        }
    }

    /// <summary>The generator's images for the fixed noise, as (count, features) floats in [-1, 1].</summary>
    public float[] GenerateSamples() => _sampler.GenerateSamples();

    /// <inheritdoc />
    public float[] Generate(int count, Span<int> labels = default) => _sampler.Generate(count, labels);

    /// <inheritdoc />
    public override SampleGrid Samples() => _sampler.Grid();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sampler.Dispose();
            _average?.Dispose();
        }

        base.Dispose(disposing);
    }
}
