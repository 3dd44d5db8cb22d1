using System.Buffers.Binary;
using GanDsl.IO;

namespace GanDsl.Data;

/// <summary>
/// Writes unsigned-byte IDX files, the MNIST format: a big-endian header (magic 0x0000080N for N
/// dimensions, then each dimension) and the row-major bytes. Any MNIST loader reads them back.
/// </summary>
public static class IdxWriter
{
    /// <summary>Writes <paramref name="data"/> with <paramref name="dimensions"/> (outermost first) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data, params ReadOnlySpan<int> dimensions)
    {
        long count = WriteHeader(stream, dimensions);
        if (count != data.Length)
        {
            throw new ArgumentException($"The dimensions describe {count} bytes but {data.Length} were given.", nameof(data));
        }

        stream.Write(data);
    }

    /// <summary>
    /// Writes the header of an unsigned-byte IDX file of <paramref name="dimensions"/>, for data that follows in pieces
    /// (<see cref="WriteImageBytes"/>); returns the number of bytes the data must have.
    /// </summary>
    public static long WriteHeader(Stream stream, params ReadOnlySpan<int> dimensions)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (dimensions.Length is < 1 or > 255)
        {
            throw new ArgumentException("An IDX file has 1 to 255 dimensions.", nameof(dimensions));
        }

        long count = 1;
        foreach (int d in dimensions)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d, nameof(dimensions));
            count = checked(count * d);
        }

        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, 0x0800 | dimensions.Length);
        stream.Write(word);
        foreach (int d in dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            stream.Write(word);
        }

        return count;
    }

    /// <summary>
    /// Converts (count, height * width) images in [-1, 1] to bytes the way MNIST stores them
    /// (round((v + 1) * 127.5), clamped; NaN as 0) and writes them as an IDX3 file.
    /// </summary>
    public static void WriteImages(Stream stream, ReadOnlySpan<float> images, int count, int height, int width)
    {
        long length = WriteHeader(stream, count, height, width);
        if (images.Length != length)
        {
            throw new ArgumentException($"Expected {length} values for {count} images of {height}x{width}, got {images.Length}.", nameof(images));
        }

        WriteImageBytes(stream, images);
    }

    /// <summary>
    /// <see cref="WriteImages(Stream, ReadOnlySpan{float}, int, int, int)"/> to the file <paramref name="path"/>, atomically: a
    /// run stopped halfway leaves the old file (or none), never half of one.
    /// </summary>
    public static void SaveImages(string path, float[] images, int count, int height, int width)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(images);
        AtomicFile.Write(path, file => WriteImages(file, images, count, height, width));
    }

    /// <summary>Writes pixels in [-1, 1] as MNIST's bytes (round((v + 1) * 127.5), clamped; NaN as 0): the data after <see cref="WriteHeader"/>, in any number of pieces.</summary>
    public static void WriteImageBytes(Stream stream, ReadOnlySpan<float> images)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = new byte[Math.Min(images.Length, 1 << 20)];
        for (int start = 0; start < images.Length; start += bytes.Length)
        {
            int n = Math.Min(bytes.Length, images.Length - start);
            for (int i = 0; i < n; i++)
            {
                bytes[i] = ImageDataset.ToPixel(images[start + i]);
            }

            stream.Write(bytes, 0, n);
        }
    }
}
