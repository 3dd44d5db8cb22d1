namespace GanDsl.Data;

/// <summary>
/// One split of MNIST (or any IDX images/labels pair): <see cref="Count"/> grey-scale images of
/// <see cref="Rows"/> x <see cref="Cols"/> unsigned bytes, row-major, with a label 0-9 each. The
/// pixels stay bytes (a quarter of the memory of floats, and what a GPU backend uploads);
/// <see cref="CopyImage"/> converts to the [-1, 1] floats a GAN trains on.
/// </summary>
public sealed class MnistDataset
{
    /// <summary>The number of classes (digits 0-9); labels are below this.</summary>
    public const int ClassCount = 10;

    // byte -> b / 127.5f - 1f, computed once with exactly that expression so a lookup gives the same bits.
    private static readonly float[] PixelToFloat = BuildPixelTable();

    private readonly byte[] _images;
    private readonly byte[] _labels;

    private MnistDataset(byte[] images, byte[] labels, int rows, int cols)
    {
        _images = images;
        _labels = labels;
        Count = labels.Length;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The number of images (and labels).</summary>
    public int Count { get; }

    /// <summary>Image height in pixels (28 for MNIST).</summary>
    public int Rows { get; }

    /// <summary>Image width in pixels (28 for MNIST).</summary>
    public int Cols { get; }

    /// <summary><see cref="Rows"/> times <see cref="Cols"/> (784 for MNIST).</summary>
    public int PixelsPerImage => Rows * Cols;

    /// <summary>All images, <see cref="Count"/> x <see cref="PixelsPerImage"/> bytes, row-major, 0 = background.</summary>
    public ReadOnlyMemory<byte> Images => _images;

    /// <summary>The labels, one byte (0-9) per image.</summary>
    public ReadOnlyMemory<byte> Labels => _labels;

    /// <summary>
    /// Reads an images file and a labels file (raw or gzip-compressed IDX) and checks that they
    /// agree: the same count, and every label 0-9.
    /// </summary>
    /// <param name="imagesPath">An IDX images file (magic 0x00000803).</param>
    /// <param name="labelsPath">An IDX labels file (magic 0x00000801).</param>
    /// <exception cref="MnistFormatException">Either file is malformed, or they do not agree.</exception>
    public static MnistDataset FromFiles(string imagesPath, string labelsPath)
    {
        IdxArray images = IdxReader.ReadImages(imagesPath);
        IdxArray labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Count)
        {
            throw new MnistFormatException(labelsPath,
                $"count mismatch: {labels.Count} labels, but the images file {imagesPath} holds {images.Count} images");
        }

        int bad = FirstBadLabel(labels.Buffer);
        if (bad >= 0)
        {
            throw new MnistFormatException(labelsPath,
                $"label {labels.Buffer[bad]} at index {bad} is out of range: labels must be 0-{ClassCount - 1}");
        }

        return new MnistDataset(images.Buffer, labels.Buffer, images.Dimensions[1], images.Dimensions[2]);
    }

    /// <summary>
    /// A dataset made from bytes in memory (copied), for synthetic data and tests: <paramref name="images"/>
    /// holds <c>labels.Length</c> images of <paramref name="rows"/> x <paramref name="cols"/>, row-major.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not agree, or a label is above 9.</exception>
    public static MnistDataset Create(ReadOnlySpan<byte> images, ReadOnlySpan<byte> labels, int rows = 28, int cols = 28)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if ((long)labels.Length * rows * cols != images.Length)
        {
            throw new ArgumentException(
                $"{images.Length} image bytes are not {labels.Length} images of {rows}x{cols}.", nameof(images));
        }

        int bad = FirstBadLabel(labels);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Label {labels[bad]} at index {bad} is out of range: labels must be 0-{ClassCount - 1}.", nameof(labels));
        }

        return new MnistDataset(images.ToArray(), labels.ToArray(), rows, cols);
    }

    /// <summary>The label (0-9) of image <paramref name="index"/>.</summary>
    public int GetLabel(int index)
    {
        CheckIndex(index);
        return _labels[index];
    }

    /// <summary>
    /// Writes image <paramref name="index"/> into the first <see cref="PixelsPerImage"/> floats of
    /// <paramref name="destination"/>, scaled to [-1, 1] as <c>b / 127.5f - 1f</c> (0 becomes -1, 255 becomes 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="PixelsPerImage"/>.</exception>
    public void CopyImage(int index, Span<float> destination)
    {
        CheckIndex(index);
        int pixels = PixelsPerImage;
        if (destination.Length < pixels)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} floats; an image needs {pixels}.", nameof(destination));
        }

        Convert(_images.AsSpan(index * pixels, pixels), destination);
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

    /// <summary>How many images carry each label: element <c>d</c> counts digit <c>d</c> (10 elements).</summary>
    public int[] LabelHistogram()
    {
        var histogram = new int[ClassCount];
        foreach (byte label in _labels)
        {
            histogram[label]++;
        }

        return histogram;
    }

    private static void Convert(ReadOnlySpan<byte> source, Span<float> destination)
    {
        float[] table = PixelToFloat;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = table[source[i]];
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset holds {Count} images.");
        }
    }

    private static int FirstBadLabel(ReadOnlySpan<byte> labels) =>
        labels.IndexOfAnyInRange((byte)ClassCount, byte.MaxValue);

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
