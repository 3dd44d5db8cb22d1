namespace GanDsl;

/// <summary>
/// A step that trains a generator of images from noise (every GAN): registers it as the part <c>generator</c>, and
/// gives the loop its sample grid (fixed noise, one class per row when conditioned) and the samples' <c>eval</c> and
/// <c>--export</c> fresh images (<see cref="IImageGenerator"/>).
/// </summary>
public abstract class GeneratorStep : TrainingStep, IImageGenerator
{
    private readonly ImageSampler _sampler;

    /// <summary>A step training <paramref name="generator"/> on batches of <paramref name="batchSize"/>; grids of <paramref name="sampleCount"/> images, <paramref name="sampleColumns"/> per row.</summary>
    protected GeneratorStep(Network generator, int batchSize, int sampleCount = 64, int sampleColumns = 8)
        : base(generator?.Backend ?? throw new ArgumentNullException(nameof(generator)), batchSize)
    {
        Generator = AddNetwork("generator", generator);
        _sampler = new ImageSampler(generator, this, sampleCount, sampleColumns);
    }

    /// <summary>The generator.</summary>
    public Network Generator { get; }

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
        }

        base.Dispose(disposing);
    }
}
