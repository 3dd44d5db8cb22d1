using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace GanDsl.Tests.Imaging;

/// <summary>
/// A strict decoder for the PNGs the writer makes (8-bit grey-scale, not interlaced), written
/// independently of it: checks the signature, chunk order and every CRC (bitwise, no table),
/// inflates IDAT and undoes all five filter types.
/// </summary>
internal static class PngDecoder
{
    public sealed record Decoded(int Width, int Height, byte[] Pixels, byte[] RowFilters, IReadOnlyList<string> Chunks);

    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    public static Decoded Decode(byte[] png)
    {
        Assert.True(png.AsSpan().StartsWith(Signature), "bad PNG signature");
        int position = Signature.Length;
        var chunks = new List<string>();
        var idat = new MemoryStream();
        int width = 0, height = 0;
        while (position < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            Assert.InRange(length, 0, png.Length - position - 12);
            string type = Encoding.ASCII.GetString(png, position + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(position + 8, length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position + 8 + length));
            Assert.True(Crc32(png.AsSpan(position + 4, 4 + length)) == stored, $"bad CRC on {type}");
            chunks.Add(type);
            switch (type)
            {
                case "IHDR":
                    Assert.Equal(13, length);
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    Assert.Equal(8, data[8]);   // bit depth
                    Assert.Equal(0, data[9]);   // grey-scale
                    Assert.Equal(0, data[10]);  // deflate
                    Assert.Equal(0, data[11]);  // adaptive filtering
                    Assert.Equal(0, data[12]);  // not interlaced
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            position += 12 + length;
        }

        Assert.Equal(png.Length, position);
        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);
        Assert.Contains("IDAT", chunks);

        idat.Position = 0;
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(raw);
        }

        byte[] filtered = raw.ToArray();
        Assert.Equal(height * (1 + width), filtered.Length);
        var pixels = new byte[width * height];
        var filters = new byte[height];
        for (int y = 0; y < height; y++)
        {
            byte filter = filtered[y * (width + 1)];
            filters[y] = filter;
            for (int x = 0; x < width; x++)
            {
                int value = filtered[y * (width + 1) + 1 + x];
                int a = x > 0 ? pixels[y * width + x - 1] : 0;
                int b = y > 0 ? pixels[(y - 1) * width + x] : 0;
                int c = x > 0 && y > 0 ? pixels[(y - 1) * width + x - 1] : 0;
                int predicted = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad filter type {filter} on row {y}"),
                };
                pixels[y * width + x] = (byte)(value + predicted);
            }
        }

        return new Decoded(width, height, pixels, filters, chunks);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
