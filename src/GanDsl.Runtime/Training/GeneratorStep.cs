namespace GanDsl.Training;

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
        generator.EnsureCapacity(batchSize);
        _sampler = new ImageSampler(generator, this, sampleCount, sampleColumns);
    }

    /// <summary>The generator.</summary>
    public Network Generator { get; }

    /// <inheritdoc />
    public int ClassCount => Generator.Layout.ConditionClasses;

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
