using System.Buffers.Binary;
using System.IO.Compression;

namespace GanDsl.Tests.Data;

/// <summary>Builds IDX files (valid and otherwise) in memory for the data tests.</summary>
internal static class IdxBytes
{
    public const uint ImagesMagic = 0x00000803;
    public const uint LabelsMagic = 0x00000801;

    public static byte[] Header(uint magic, params uint[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        }

        return header;
    }

    /// <summary>Pixel i of the payload is <c>(i * 7 + seed) mod 256</c>: varied, reproducible, compressible.</summary>
    public static byte[] ImagePixels(int count, int rows = 28, int cols = 28, int seed = 0)
    {
        var pixels = new byte[count * rows * cols];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 7 + seed);
        }

        return pixels;
    }

    public static byte[] Images(int count, int rows = 28, int cols = 28, int seed = 0) =>
        [.. Header(ImagesMagic, (uint)count, (uint)rows, (uint)cols), .. ImagePixels(count, rows, cols, seed)];

    public static byte[] Labels(params byte[] labels) => [.. Header(LabelsMagic, (uint)labels.Length), .. labels];

    /// <summary>Labels 0, 1, ..., 9, 0, 1, ... for <paramref name="count"/> items.</summary>
    public static byte[] CyclingLabels(int count) => Labels(Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());

    /// <summary>Writes the four MNIST files into <paramref name="directory"/> (created): random images of the given size, cycling labels.</summary>
    public static string WriteMnist(string directory, int train, int test, int rows = 28, int cols = 28)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), Images(train, rows, cols, seed: 1));
        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte"), CyclingLabels(train));
        File.WriteAllBytes(Path.Combine(directory, "t10k-images-idx3-ubyte"), Images(test, rows, cols, seed: 2));
        File.WriteAllBytes(Path.Combine(directory, "t10k-labels-idx1-ubyte"), CyclingLabels(test));
        return directory;
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        var output = new MemoryStream();
        gz.CopyTo(output);
        return output.ToArray();
    }
}
