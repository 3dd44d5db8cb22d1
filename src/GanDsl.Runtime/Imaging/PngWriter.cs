using System.Buffers.Binary;
using System.IO.Compression;
using GanDsl.IO;

namespace GanDsl.Imaging;

/// <summary>
/// Writes 8-bit grey-scale PNG files (colour type 0, no interlacing). Each row is filtered with
/// None, Sub or Up, whichever gives the smallest sum of absolute residuals (the usual cheap
/// heuristic), and the rows are deflated into a single IDAT chunk.
/// </summary>
public static class PngWriter
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private const byte FilterNone = 0;
    private const byte FilterSub = 1;
    private const byte FilterUp = 2;

    /// <summary>
    /// Writes a PNG to <paramref name="path"/> atomically: the image goes to a temporary file in the
    /// same directory, which is then renamed over <paramref name="path"/>, so a viewer watching the
    /// file never sees half an image. The directory is created when missing.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="pixels">Row-major grey levels, <paramref name="width"/> x <paramref name="height"/> bytes (0 = black).</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    public static void Write(string path, ReadOnlySpan<byte> pixels, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Validate(pixels, width, height);

        // Encode first (the span cannot enter a lambda), then write atomically.
        using var encoded = new MemoryStream();
        Write(encoded, pixels, width, height);
        AtomicFile.WriteAllBytes(path, encoded.GetBuffer().AsSpan(0, (int)encoded.Length));
    }

    /// <summary>Writes a PNG to <paramref name="stream"/>, starting at its current position; the stream stays open.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="pixels">Row-major grey levels, <paramref name="width"/> x <paramref name="height"/> bytes (0 = black).</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    public static void Write(Stream stream, ReadOnlySpan<byte> pixels, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Validate(pixels, width, height);

        stream.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 0;  // colour type: grey-scale
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method: adaptive
        ihdr[12] = 0; // interlace: none
        WriteChunk(stream, "IHDR"u8, ihdr);

        var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            byte[] line = new byte[1 + width];
            byte[] candidate = new byte[1 + width];
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * width, width);
                ReadOnlySpan<byte> above = y > 0 ? pixels.Slice((y - 1) * width, width) : default;
                FilterRow(row, above, line, candidate);
                zlib.Write(line);
            }
        }

        WriteChunk(stream, "IDAT"u8, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(stream, "IEND"u8, []);
    }

    private static void Validate(ReadOnlySpan<byte> pixels, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height != pixels.Length)
        {
            throw new ArgumentException(
                $"{pixels.Length} pixels do not make a {width}x{height} image ({(long)width * height} pixels).", nameof(pixels));
        }
    }

    /// <summary>Fills <paramref name="best"/> with the filter byte and filtered row that has the smallest residual sum.</summary>
    private static void FilterRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, Span<byte> best, Span<byte> candidate)
    {
        // None.
        best[0] = FilterNone;
        row.CopyTo(best[1..]);
        long bestCost = Cost(best[1..]);

        // Sub: each byte minus the one to its left (0 before the first).
        candidate[0] = FilterSub;
        candidate[1] = row[0];
        for (int x = 1; x < row.Length; x++)
        {
            candidate[x + 1] = (byte)(row[x] - row[x - 1]);
        }

        long cost = Cost(candidate[1..]);
        if (cost < bestCost)
        {
            bestCost = cost;
            candidate.CopyTo(best);
        }

        // Up: each byte minus the one above (the same as None on the first row).
        if (!above.IsEmpty)
        {
            candidate[0] = FilterUp;
            for (int x = 0; x < row.Length; x++)
            {
                candidate[x + 1] = (byte)(row[x] - above[x]);
            }

            if (Cost(candidate[1..]) < bestCost)
            {
                candidate.CopyTo(best);
            }
        }
    }

    /// <summary>The sum of the residuals read as signed bytes, in absolute value.</summary>
    private static long Cost(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (byte b in filtered)
        {
            int residual = (sbyte)b; // -128 too: Math.Abs((sbyte)-128) would overflow
            sum += residual < 0 ? -residual : residual;
        }

        return sum;
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(data);
        uint crc = Crc32.Update(Crc32.Update(Crc32.Seed, type), data) ^ Crc32.Seed;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }
}

/// <summary>CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), table-driven, as PNG chunks use it.</summary>
internal static class Crc32
{
    /// <summary>The initial register value; the final CRC is the register xor this.</summary>
    public const uint Seed = 0xFFFFFFFF;

    private static readonly uint[] Table = BuildTable();

    /// <summary>Feeds <paramref name="data"/> into the register <paramref name="crc"/>.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        foreach (byte b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Update(Seed, data) ^ Seed;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < table.Length; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
