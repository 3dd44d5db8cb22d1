using GanDsl.Backends;
using GanDsl.Randomness;

namespace GanDsl;

/// <summary>A step whose generator makes images from noise: the samples' <c>eval</c>, metrics and <c>--export</c> use it.</summary>
public interface IImageGenerator
{
    /// <summary>Classes a conditional generator is asked for (0 for an unconditional one).</summary>
    int ClassCount { get; }

    /// <summary>
    /// <paramref name="count"/> images as (count, features) floats in [-1, 1], from fresh noise (the same count gives the
    /// same images); a conditional generator is asked for the classes in turn, which <paramref name="labels"/> receives.
    /// </summary>
    float[] Generate(int count, Span<int> labels = default);
}

/// <summary>
/// Images from a generator, for a step's sample grid (fixed noise, so grids of successive epochs compare; a
/// conditional generator gets one class per row) and for evaluation (fresh noise from the seed's evaluation stream).
/// Noise comes from the step's seed; the generator runs in evaluation mode.
/// </summary>
public sealed class ImageSampler : IDisposable
{
    private readonly Network _generator;
    private readonly TrainingStep _step;
    private readonly DeviceBuffer _fixedNoise;
    private readonly DeviceBuffer? _fixedLabels;
    private ulong? _noiseSeed;

    /// <summary>Samples <paramref name="generator"/> of <paramref name="step"/>: grids of <paramref name="count"/> images, <paramref name="columns"/> per row.</summary>
    public ImageSampler(Network generator, TrainingStep step, int count = 64, int columns = 8)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        _generator = generator;
        _step = step;
        Count = count;
        Columns = columns;
        generator.EnsureCapacity(count);
        _fixedNoise = generator.Backend.Allocate((long)count * generator.InputFeatures);
        int classes = generator.Layout.ConditionClasses;
        if (classes > 0)
        {
            // The grid shows one class per row.
            _fixedLabels = generator.Backend.Allocate(count);
            var labels = new float[count];
            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = i / columns % classes;
            }

            generator.Backend.Upload(labels, _fixedLabels.All);
        }
    }

    /// <summary>Images in a grid.</summary>
    public int Count { get; }

    /// <summary>Images per row of a grid.</summary>
    public int Columns { get; }

    /// <summary>The generator's images for the fixed noise, as (count, features) floats in [-1, 1].</summary>
    public float[] GenerateSamples()
    {
        var backend = _generator.Backend;
        if (_noiseSeed != _step.Seed)
        {
            backend.RandomNormal(_fixedNoise.All, _step.Seed, RandomStreams.FixedNoise, 0);
            _noiseSeed = _step.Seed;
        }

        int n = Count;
        backend.Copy(_fixedNoise.All, _generator.Input(n).Reshape(1, _fixedNoise.All.Length));
        if (_fixedLabels is not null)
        {
            backend.Copy(_fixedLabels.All, _generator.Labels(n).Reshape(1, n));
        }

        bool training = _generator.Training;
        _generator.Training = false;
        _generator.Forward(n);
        _generator.Training = training;
        var pixels = new float[n * _generator.OutputFeatures];
        backend.Download(_generator.Output(n), pixels);
        return pixels;
    }

    /// <summary>The sample grid of <see cref="GenerateSamples"/>.</summary>
    public SampleGrid Grid()
    {
        var (height, width) = ImageShape(_generator);
        return new SampleGrid(GenerateSamples(), Count, height, width, Columns);
    }

    /// <inheritdoc cref="IImageGenerator.Generate"/>
    public float[] Generate(int count, Span<int> labels = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var backend = _generator.Backend;
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
            backend.RandomNormal(_generator.Input(rows), _step.Seed, RandomStreams.Evaluation, (ulong)c * blocksPerChunk);
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

                backend.Upload(chunkLabels.AsSpan(0, rows), _generator.Labels(rows));
            }

            _generator.Forward(rows);
            backend.Download(_generator.Output(rows), pixels.AsSpan(start * features, rows * features));
        }

        _generator.Training = training;
        return pixels;
    }

    /// <summary>
    /// The (height, width) of a network's grey-scale output images: its last layer's when that is an image of one
    /// channel, else a square when the width is one (784 = 28 x 28), else one row.
    /// </summary>
    public static (int Height, int Width) ImageShape(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var output = network.Layout.OutputShape;
        if (output.Spatial && output.Channels == 1)
        {
            return (output.Height, output.Width);
        }

        int features = network.OutputFeatures;
        int side = (int)Math.Round(Math.Sqrt(features));
        return side * side == features ? (side, side) : (1, features);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _fixedNoise.Dispose();
        _fixedLabels?.Dispose();
    }
}
