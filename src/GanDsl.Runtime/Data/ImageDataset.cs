using GanDsl.Backends;

namespace GanDsl.Data;

/// <summary>
/// What a trainer draws batches from: one or more domains of images, all of them <see cref="Count"/> positions long
/// per epoch, shuffled together (pairs: an input and its target) or each on its own (two unpaired domains).
/// </summary>
public abstract class TrainingData
{
    private protected TrainingData()
    {
    }

    /// <summary>Images per domain drawn in one epoch (an epoch is <c>Count / batch</c> steps).</summary>
    public abstract int Count { get; }

    /// <summary>The domains; a step gathers domain <c>d</c>'s batch by its index.</summary>
    public abstract IReadOnlyList<ImageDataset> Domains { get; }

    /// <summary>Whether every domain is drawn in the same order (pairs), rather than each in its own (unpaired domains).</summary>
    public abstract bool ShuffledTogether { get; }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming <paramref name="model"/> unless this is two domains of
    /// <paramref name="pixels"/>-value images, drawn as pairs where <paramref name="paired"/>: the check of the
    /// translation steps (CycleGAN, DiscoGAN, Pix2Pix).
    /// </summary>
    public void RequireTwoDomains(string model, int pixels, bool paired = false)
    {
        if (Domains.Count != 2 || (paired && !ShuffledTogether) || Domains.Any(d => d.PixelsPerImage != pixels))
        {
            string what = paired ? "pairs (PairedImages)" : "two domains";
            throw new ArgumentException(
                $"{model} trains on {what} of {pixels}-value images; the data has {Domains.Count} domain(s){(ShuffledTogether ? "" : ", unpaired")} of {string.Join(" and ", Domains.Select(d => d.PixelsPerImage))} values.", "data");
        }
    }
}

/// <summary>
/// Images of any (channels, height, width) as 8-bit values, channels-last, each with an optional class label:
/// one domain of training data. The pixels stay bytes (a quarter of the memory of floats, and what a GPU backend
/// uploads); <see cref="CopyImage"/> converts to the [-1, 1] floats a GAN trains on.
/// </summary>
public class ImageDataset : TrainingData
{
    // byte -> b / 127.5f - 1f, computed once with exactly that expression so a lookup gives the same bits.
    private static readonly float[] PixelToFloat = BuildPixelTable();

    private readonly byte[] _images;
    private readonly byte[]? _labels;

    /// <summary>Wraps <paramref name="images"/> and <paramref name="labels"/> (not copied); checks sizes and labels.</summary>
    private protected ImageDataset(byte[] images, byte[]? labels, int count, int channels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(classes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        if ((long)count * channels * height * width != images.Length)
        {
            throw new ArgumentException($"{images.Length} image bytes are not {count} images of ({channels}, {height}, {width}).", nameof(images));
        }

        if (labels is not null)
        {
            if (labels.Length != count)
            {
                throw new ArgumentException($"Expected {count} labels, got {labels.Length}.", nameof(labels));
            }

            if (classes == 0)
            {
                throw new ArgumentException("Labels need a class count above 0.", nameof(classes));
            }

            int bad = classes < 256 ? labels.AsSpan().IndexOfAnyInRange((byte)classes, byte.MaxValue) : -1;
            if (bad >= 0)
            {
                throw new ArgumentException($"Label {labels[bad]} at index {bad} is out of range: labels must be 0-{classes - 1}.", nameof(labels));
            }
        }

        _images = images;
        _labels = labels;
        ImageCount = count;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = labels is null ? 0 : classes;
    }

    /// <summary>
    /// A dataset of <paramref name="count"/> images of (<paramref name="channels"/>, <paramref name="height"/>,
    /// <paramref name="width"/>) bytes each, channels-last, copied from <paramref name="images"/>, with
    /// <paramref name="labels"/> below <paramref name="classes"/> when given.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not agree, or a label is not below the class count.</exception>
    public static ImageDataset Create(ReadOnlySpan<byte> images, int count, int channels, int height, int width, ReadOnlySpan<byte> labels = default, int classes = 0) =>
        new(images.ToArray(), labels.IsEmpty ? null : labels.ToArray(), count, channels, height, width, labels.IsEmpty ? 0 : classes);

    /// <summary>
    /// A dataset of <paramref name="count"/> images from floats in [-1, 1] (a generator's output), each pixel stored as
    /// <see cref="ToPixel"/> rounds it: what a derived-domain transform or an IDX file takes from generated images.
    /// </summary>
    public static ImageDataset FromPixels(ReadOnlySpan<float> images, int count, int channels, int height, int width)
    {
        var bytes = new byte[images.Length];
        for (int i = 0; i < images.Length; i++)
        {
            bytes[i] = ToPixel(images[i]);
        }

        return new ImageDataset(bytes, null, count, channels, height, width, 0);
    }

    /// <summary>A value in [-1, 1] as MNIST's byte: round((v + 1) * 127.5), clamped to [0, 255]; NaN as 0.</summary>
    public static byte ToPixel(float value) =>
        float.IsNaN(value) ? (byte)0 : (byte)Math.Clamp(MathF.Round((value + 1f) * 127.5f), 0f, 255f);

    /// <summary>The number of images.</summary>
    public override int Count => ImageCount;

    private int ImageCount { get; }

    /// <summary>Channels per pixel (1 for grey-scale).</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Bytes per image: channels times height times width.</summary>
    public int PixelsPerImage => Channels * Height * Width;

    /// <summary>The number of classes labels are drawn from; 0 for a dataset without labels.</summary>
    public int Classes { get; }

    /// <summary>Whether each image has a class label.</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>All images, <see cref="Count"/> x <see cref="PixelsPerImage"/> bytes, channels-last, row-major.</summary>
    public ReadOnlyMemory<byte> Images => _images;

    /// <summary>The labels, one byte per image; empty without labels.</summary>
    public ReadOnlyMemory<byte> Labels => _labels;

    /// <inheritdoc />
    public override IReadOnlyList<ImageDataset> Domains => [this];

    /// <inheritdoc />
    public override bool ShuffledTogether => true;

    /// <summary>The label of image <paramref name="index"/>.</summary>
    public int GetLabel(int index)
    {
        CheckIndex(index);
        return _labels is null ? throw new InvalidOperationException("This dataset has no labels.") : _labels[index];
    }

    /// <summary>
    /// Writes image <paramref name="index"/> into the first <see cref="PixelsPerImage"/> floats of
    /// <paramref name="destination"/>, scaled to [-1, 1] as <c>b / 127.5f - 1f</c> (0 becomes -1, 255 becomes 1), or
    /// with <see cref="PixelScale.ZeroToOne"/> to [0, 1] as <c>b / 255f</c>, as the backends gather batches.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="PixelsPerImage"/>.</exception>
    public void CopyImage(int index, Span<float> destination, PixelScale scale = PixelScale.MinusOneToOne)
    {
        CheckIndex(index);
        int pixels = PixelsPerImage;
        if (destination.Length < pixels)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} floats; an image needs {pixels}.", nameof(destination));
        }

        var source = _images.AsSpan(index * pixels, pixels);
        if (scale == PixelScale.ZeroToOne)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = source[i] / 255f;
            }

            return;
        }

        Convert(source, destination);
    }

    /// <summary>
    /// Gathers a batch: image <c>indices[i]</c> goes to floats
    /// [<c>i * PixelsPerImage</c>, <c>(i + 1) * PixelsPerImage</c>) of <paramref name="destination"/>,
    /// scaled like <see cref="CopyImage"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is not below <see cref="Count"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short for the batch.</exception>
    public void CopyImages(ReadOnlySpan<int> indices, Span<float> destination)
    {
        int pixels = PixelsPerImage;
        if ((long)indices.Length * pixels > destination.Length)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} floats; {indices.Length} images need {(long)indices.Length * pixels}.",
                nameof(destination));
        }

        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            CheckIndex(index);
            Convert(_images.AsSpan(index * pixels, pixels), destination.Slice(i * pixels, pixels));
        }
    }

    /// <summary>How many images carry each label: element <c>c</c> counts class <c>c</c> (<see cref="Classes"/> elements).</summary>
    public int[] LabelHistogram()
    {
        var histogram = new int[Classes];
        foreach (byte label in _labels ?? [])
        {
            histogram[label]++;
        }

        return histogram;
    }

    /// <summary>The images (and labels) at <paramref name="indices"/>, in that order, as a new dataset.</summary>
    public ImageDataset Select(ReadOnlySpan<int> indices)
    {
        int pixels = PixelsPerImage;
        var images = new byte[(long)indices.Length * pixels];
        var labels = _labels is null ? null : new byte[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            CheckIndex(indices[i]);
            _images.AsSpan(indices[i] * pixels, pixels).CopyTo(images.AsSpan(i * pixels));
            if (labels is not null)
            {
                labels[i] = _labels![indices[i]];
            }
        }

        return new ImageDataset(images, labels, indices.Length, Channels, Height, Width, Classes);
    }

    /// <summary>
    /// A dataset of the same count and labels whose images are <paramref name="transform"/> of these, each of
    /// (<paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>); for derived domains.
    /// </summary>
    /// <param name="channels">Channels of the new images.</param>
    /// <param name="height">Height of the new images.</param>
    /// <param name="width">Width of the new images.</param>
    /// <param name="transform">Called with each image's index, its bytes and the new image's bytes to fill.</param>
    public ImageDataset Map(int channels, int height, int width, ImageTransform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        int from = PixelsPerImage, to = channels * height * width;
        var images = new byte[(long)Count * to];
        for (int i = 0; i < Count; i++)
        {
            transform(i, _images.AsSpan(i * from, from), images.AsSpan(i * to, to));
        }

        return new ImageDataset(images, _labels, Count, channels, height, width, Classes);
    }

    private static void Convert(ReadOnlySpan<byte> source, Span<float> destination)
    {
        float[] table = PixelToFloat;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = table[source[i]];
        }
    }

    private protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset holds {Count} images.");
        }
    }

    private static float[] BuildPixelTable()
    {
        var table = new float[256];
        for (int b = 0; b < table.Length; b++)
        {
            table[b] = b / 127.5f - 1f;
        }

        return table;
    }
}

/// <summary>Fills <paramref name="destination"/>, a new image, from image <paramref name="index"/>'s bytes <paramref name="source"/>.</summary>
/// <param name="index">The image's index in its dataset.</param>
/// <param name="source">Its bytes, channels-last.</param>
/// <param name="destination">The new image's bytes, channels-last.</param>
public delegate void ImageTransform(int index, ReadOnlySpan<byte> source, Span<byte> destination);

/// <summary>
/// Pairs of images, an input and its target (Pix2Pix): the two domains drawn in the same order, so row r of a batch
/// of inputs belongs with row r of the batch of targets.
/// </summary>
public sealed class PairedImages : TrainingData
{
    /// <summary>Pairs <paramref name="inputs"/>[i] with <paramref name="targets"/>[i].</summary>
    public PairedImages(ImageDataset inputs, ImageDataset targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Count != targets.Count)
        {
            throw new ArgumentException($"Pairs need as many targets as inputs: {inputs.Count} inputs, {targets.Count} targets.", nameof(targets));
        }

        Inputs = inputs;
        Targets = targets;
    }

    /// <summary>Domain 0: the inputs.</summary>
    public ImageDataset Inputs { get; }

    /// <summary>Domain 1: the targets.</summary>
    public ImageDataset Targets { get; }

    /// <inheritdoc />
    public override int Count => Inputs.Count;

    /// <inheritdoc />
    public override IReadOnlyList<ImageDataset> Domains => [Inputs, Targets];

    /// <inheritdoc />
    public override bool ShuffledTogether => true;
}

/// <summary>
/// Two domains with no pairing between them (CycleGAN, DiscoGAN): each shuffled on its own every epoch, an epoch
/// as long as the smaller domain.
/// </summary>
public sealed class UnpairedImages : TrainingData
{
    /// <summary>Domains A and B.</summary>
    public UnpairedImages(ImageDataset a, ImageDataset b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        A = a;
        B = b;
    }

    /// <summary>Domain 0.</summary>
    public ImageDataset A { get; }

    /// <summary>Domain 1.</summary>
    public ImageDataset B { get; }

    /// <inheritdoc />
    public override int Count => Math.Min(A.Count, B.Count);

    /// <inheritdoc />
    public override IReadOnlyList<ImageDataset> Domains => [A, B];

    /// <inheritdoc />
    public override bool ShuffledTogether => false;
}
