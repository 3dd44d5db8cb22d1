using System.Buffers.Binary;
using System.IO.Compression;

namespace GanDsl.Data;

/// <summary>
/// A malformed MNIST/IDX file: bad magic number, wrong number of dimensions, impossible sizes, a
/// truncated header or payload, trailing bytes, corrupt gzip data, or contents that do not agree
/// with the companion file. The message always starts with the file's path followed by the problem.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/> (as is <see cref="MnistNotFoundException"/>), so one catch covers
/// every data problem; <see cref="InvalidDataException"/> would read better but is sealed.
/// </remarks>
public sealed class MnistFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/> with message "<c>path: problem</c>".</summary>
    /// <param name="filePath">The offending file.</param>
    /// <param name="problem">What is wrong with it, in words.</param>
    /// <param name="innerException">The underlying error, when there is one (for example from the gzip decoder).</param>
    public MnistFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The path of the offending file, as it was passed to the reader.</summary>
    public string FilePath { get; }

    /// <summary>The problem without the path prefix.</summary>
    public string Problem { get; }
}

/// <summary>The contents of one IDX file of unsigned bytes: its dimensions and its row-major payload.</summary>
public sealed class IdxArray
{
    private readonly int[] _dimensions;

    internal IdxArray(string path, int[] dimensions, byte[] data)
    {
        Path = path;
        _dimensions = dimensions;
        Buffer = data;
    }

    /// <summary>The file this was read from.</summary>
    public string Path { get; }

    /// <summary>The dimensions from the header, outermost (the item count) first; all positive.</summary>
    public IReadOnlyList<int> Dimensions => _dimensions;

    /// <summary>The number of items: the first dimension.</summary>
    public int Count => _dimensions[0];

    /// <summary>The payload, row-major; its length is the product of <see cref="Dimensions"/>.</summary>
    public ReadOnlyMemory<byte> Data => Buffer;

    /// <summary>The payload array itself, handed on without copying.</summary>
    internal byte[] Buffer { get; }
}

/// <summary>
/// Reads IDX files (the MNIST format) of unsigned bytes, gzip-compressed or raw. Compression is
/// detected from the gzip magic bytes (1f 8b), not from the file name. Every malformed input is
/// reported as a <see cref="MnistFormatException"/> naming the file and the problem; a missing or
/// unreadable file surfaces as the usual <see cref="IOException"/> (for example
/// <see cref="FileNotFoundException"/>).
/// </summary>
/// <remarks>
/// A gzip file must hold a single gzip member with nothing after it: the size in the gzip trailer
/// is checked against the decompressed length, which is how a .gz file cut short (whose missing
/// tail the decoder would otherwise ignore) or one with bytes appended is caught.
/// </remarks>
public static class IdxReader
{
    /// <summary>Magic number of an images file: unsigned bytes (type 0x08), 3 dimensions (count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a labels file: unsigned bytes (type 0x08), 1 dimension (count).</summary>
    public const int LabelsMagic = 0x00000801;

    private const int UnsignedByteType = 0x08;
    private const int SmallestGzipFile = 18; // 10-byte header, at least 0 bytes of deflate data, 8-byte trailer

    /// <summary>Reads an images file (magic 0x00000803): dimensions are (count, rows, columns).</summary>
    /// <param name="path">A raw or gzip-compressed IDX file.</param>
    /// <exception cref="MnistFormatException">The file is not a valid IDX images file.</exception>
    public static IdxArray ReadImages(string path) => Read(path, dimensionCount: 3);

    /// <summary>Reads a labels file (magic 0x00000801): one dimension, the count.</summary>
    /// <param name="path">A raw or gzip-compressed IDX file.</param>
    /// <exception cref="MnistFormatException">The file is not a valid IDX labels file.</exception>
    public static IdxArray ReadLabels(string path) => Read(path, dimensionCount: 1);

    /// <summary>Whether <paramref name="path"/> starts with the gzip magic bytes 1f 8b.</summary>
    internal static bool IsGzip(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        Span<byte> magic = stackalloc byte[2];
        return ReadFully(file, magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static IdxArray Read(string path, int dimensionCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (IO.FileChecks.Problem(path) is { } problem)
        {
            throw new MnistFormatException(path, problem);
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 1 << 16, FileOptions.SequentialScan);
        long fileLength = file.Length;

        Span<byte> magic = stackalloc byte[2];
        bool gzip = ReadFully(file, magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        if (!gzip)
        {
            return ReadIdx(file, path, dimensionCount, rawLength: fileLength, gzipSize: null);
        }

        if (fileLength < SmallestGzipFile)
        {
            throw new MnistFormatException(path,
                $"truncated gzip file: only {fileLength} bytes, too short to hold a gzip header and trailer");
        }

        // ISIZE, the last four bytes of a gzip member: the uncompressed length modulo 2^32.
        Span<byte> trailer = stackalloc byte[4];
        file.Position = fileLength - 4;
        ReadFully(file, trailer);
        uint gzipSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        file.Position = 0;

        try
        {
            using var gz = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            return ReadIdx(gz, path, dimensionCount, rawLength: null, gzipSize);
        }
        catch (InvalidDataException e)
        {
            // The runtime's messages for bad gzip data can be misleading ("unsupported compression
            // method" for a bad checksum), so say what it is and keep theirs as detail.
            throw new MnistFormatException(path, $"corrupt gzip data ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads header and payload from <paramref name="stream"/>. <paramref name="rawLength"/> is the
    /// file length of an uncompressed file; <paramref name="gzipSize"/> the ISIZE of a gzip one.
    /// </summary>
    private static IdxArray ReadIdx(Stream stream, string path, int dimensionCount, long? rawLength, uint? gzipSize)
    {
        string kind = dimensionCount == 3 ? "images" : "labels";
        int headerLength = 4 + 4 * dimensionCount;
        int expectedMagic = UnsignedByteType << 8 | dimensionCount;
        string source = gzipSize is null ? "the file" : "the decompressed data";

        Span<byte> header = stackalloc byte[16];
        header = header[..headerLength];
        int got = ReadFully(stream, header[..4]);
        if (got < 4)
        {
            throw new MnistFormatException(path,
                $"truncated header: {source} ends after {got} bytes, but an IDX {kind} header is {headerLength} bytes");
        }

        ValidateMagic(path, BinaryPrimitives.ReadUInt32BigEndian(header), expectedMagic, kind);

        got += ReadFully(stream, header[4..]);
        if (got < headerLength)
        {
            throw new MnistFormatException(path,
                $"truncated header: {source} ends after {got} bytes, but an IDX {kind} header is {headerLength} bytes");
        }

        int[] dimensions = ReadDimensions(path, header[4..], kind);
        long payload = 1;
        foreach (int d in dimensions)
        {
            payload *= d; // ReadDimensions guarantees the product fits in an array
        }

        string described = Describe(dimensions, payload);
        if (rawLength is long length)
        {
            long follows = length - headerLength;
            if (follows < payload)
            {
                throw Truncated(path, described, follows);
            }

            if (follows > payload)
            {
                throw Trailing(path, described, follows - payload);
            }
        }
        else if (gzipSize is uint isize && isize != (uint)(headerLength + payload))
        {
            // The trailer disagrees with the header, so this will fail: count what is there
            // (without allocating what a bogus header asks for) and say which way it is off.
            long follows = CountRemaining(stream);
            if (follows < payload)
            {
                throw Truncated(path, described, follows);
            }

            if (follows > payload)
            {
                throw Trailing(path, described, follows - payload);
            }

            throw new MnistFormatException(path,
                $"gzip trailer mismatch: the trailer records {isize} uncompressed bytes but the gzip data " +
                $"decompresses to {headerLength + payload}; the .gz file is truncated, has bytes appended " +
                "after the gzip data, or holds several gzip members (not supported)");
        }

        byte[] data = GC.AllocateUninitializedArray<byte>((int)payload);
        int read = ReadFully(stream, data);
        if (read < payload)
        {
            throw Truncated(path, described, read);
        }

        long extra = CountRemaining(stream);
        if (extra > 0)
        {
            throw Trailing(path, described, extra);
        }

        return new IdxArray(path, dimensions, data);
    }

    private static void ValidateMagic(string path, uint magic, int expectedMagic, string kind)
    {
        if (magic == (uint)expectedMagic)
        {
            return;
        }

        string expected = $"expected 0x{expectedMagic:X8} (IDX {kind}: unsigned bytes, {expectedMagic & 0xff} dimension{(kind == "labels" ? "" : "s")})";
        if ((magic & 0xFFFF0000) != 0)
        {
            throw new MnistFormatException(path,
                $"bad magic number 0x{magic:X8}: not an IDX file (its first two bytes must be zero); {expected}");
        }

        uint type = (magic >> 8) & 0xff;
        uint dims = magic & 0xff;
        if (type != UnsignedByteType)
        {
            throw new MnistFormatException(path,
                $"bad magic number 0x{magic:X8}: element type 0x{type:X2} ({TypeName(type)}) is not supported, only 0x08 (unsigned byte); {expected}");
        }

        string hint = dims switch
        {
            1 => " (is this a labels file?)",
            3 => " (is this an images file?)",
            _ => "",
        };
        throw new MnistFormatException(path,
            $"bad magic number 0x{magic:X8}: {dims} dimension{(dims == 1 ? "" : "s")}, but an IDX {kind} file has {expectedMagic & 0xff}{hint}; {expected}");
    }

    private static string TypeName(uint type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };

    private static int[] ReadDimensions(string path, ReadOnlySpan<byte> raw, string kind)
    {
        string[] names = kind == "images" ? ["count", "rows", "columns"] : ["count"];
        var dimensions = new int[raw.Length / 4];
        UInt128 product = 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(raw[(4 * i)..]);
            if (d == 0)
            {
                throw new MnistFormatException(path,
                    $"bad header: dimension {i} ({names[i]}) is 0; every dimension must be positive");
            }

            if (d > int.MaxValue)
            {
                throw new MnistFormatException(path,
                    $"bad header: dimension {i} ({names[i]}) is {d} (0x{d:X8}, negative as a signed 32-bit integer); " +
                    "that is not a sane size");
            }

            dimensions[i] = (int)d;
            product *= d;
        }

        if (product > (UInt128)Array.MaxLength)
        {
            throw new MnistFormatException(path,
                $"bad header: {string.Join("x", dimensions)} is {product} bytes, more than the largest array " +
                $"this runtime supports ({Array.MaxLength} bytes); that is not a sane size");
        }

        return dimensions;
    }

    private static string Describe(int[] dimensions, long payload) => dimensions.Length == 3
        ? $"{dimensions[0]} images of {dimensions[1]}x{dimensions[2]} ({payload} bytes)"
        : $"{dimensions[0]} labels ({payload} bytes)";

    private static MnistFormatException Truncated(string path, string described, long follows) =>
        new(path, $"truncated: header says {described} but only {follows} bytes follow");

    private static MnistFormatException Trailing(string path, string described, long extra) =>
        new(path, $"trailing data: header says {described} but {extra} more {(extra == 1 ? "byte follows" : "bytes follow")} the payload");

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static long CountRemaining(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long total = 0;
        int n;
        while ((n = stream.Read(scratch)) > 0)
        {
            total += n;
        }

        return total;
    }
}
