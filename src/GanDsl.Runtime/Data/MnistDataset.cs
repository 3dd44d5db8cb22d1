namespace GanDsl.Data;

/// <summary>
/// One split of MNIST (or any IDX images/labels pair): <see cref="ImageDataset.Count"/> grey-scale images of
/// <see cref="Rows"/> x <see cref="Cols"/> unsigned bytes, row-major, with a label 0-9 each.
/// </summary>
public sealed class MnistDataset : ImageDataset
{
    /// <summary>The number of classes (digits 0-9); labels are below this.</summary>
    public const int ClassCount = 10;

    private MnistDataset(byte[] images, byte[] labels, int rows, int cols)
        : base(images, labels, labels.Length, 1, rows, cols, ClassCount)
    {
    }

    /// <summary>Image height in pixels (28 for MNIST).</summary>
    public int Rows => Height;

    /// <summary>Image width in pixels (28 for MNIST).</summary>
    public int Cols => Width;

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

    private static int FirstBadLabel(ReadOnlySpan<byte> labels) =>
        labels.IndexOfAnyInRange((byte)ClassCount, byte.MaxValue);
}
