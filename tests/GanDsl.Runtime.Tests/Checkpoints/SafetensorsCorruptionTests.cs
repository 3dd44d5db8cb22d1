using System.Text;
using GanDsl.Checkpoints;
using static GanDsl.Tests.Checkpoints.SafetensorsBytes;

namespace GanDsl.Tests.Checkpoints;

public sealed class SafetensorsCorruptionTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly byte[] TwoFloats = Floats(1f, 2f);

    /// <summary>A file with one tensor "a" whose dtype, shape and data_offsets are the given JSON texts, then <paramref name="data"/>.</summary>
    private static byte[] One(string dtype, string shape, string offsets, byte[] data) =>
        Build($"{{\"a\":{{\"dtype\":{dtype},\"shape\":{shape},\"data_offsets\":{offsets}}}}}", data);

    public static TheoryData<string, byte[], string> Corruptions => new()
    {
        // The size field and the header's framing.
        { "empty file", [], "is empty (0 bytes), or not a regular file" },
        { "7-byte file", [2, 0, 0, 0, 0, 0, 0], "the file is 7 bytes long" },
        { "header past the end", Raw(100, Encoding.ASCII.GetBytes("{}      "), [1, 2]), "the header size 100 is more than the 10 bytes that follow it" },
        { "absurd header size", Raw(ulong.MaxValue, Encoding.ASCII.GetBytes("{}      "), []), $"the header size {ulong.MaxValue} is over the limit of 100000000 bytes" },
        { "header size just over the limit", Raw(100_000_001, [], []), "is over the limit of 100000000 bytes" },
        { "zero header size", Raw(0, [], []), "the header does not start with '{'" },
        { "invalid UTF-8", Raw(8, [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)' '], []), "the header is not valid UTF-8" },
        { "byte order mark", Raw(8, [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}', (byte)' ', (byte)' ', (byte)' '], []), "the header does not start with '{'" },
        { "array header", Build("[]"), "the header does not start with '{', so it is not a JSON object" },
        { "unfinished JSON", Build("{\"a\":"), "the header is not valid JSON" },
        { "text after the object", Build("{} x"), "the header is not valid JSON" },
        { "NUL padding", Raw(8, [(byte)'{', (byte)'}', 0, 0, 0, 0, 0, 0], []), "the header is not valid JSON" },
        { "trailing comma", Build("{\"__metadata__\":{},}"), "the header is not valid JSON" },

        // Entries.
        { "entry not an object", Build("{\"a\":5}"), "tensor 'a': its entry is a number, not a JSON object" },
        { "missing dtype", Build("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", TwoFloats), "tensor 'a': \"dtype\" is missing" },
        { "missing shape", Build("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", TwoFloats), "tensor 'a': \"shape\" is missing" },
        { "missing data_offsets", Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", TwoFloats), "tensor 'a': \"data_offsets\" is missing" },
        { "field twice", Build("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", TwoFloats), "tensor 'a': \"dtype\" appears twice" },
        { "dtype a number", One("5", "[2]", "[0,8]", TwoFloats), "tensor 'a': \"dtype\" is a number, not a string" },
        { "unsupported dtype", One("\"F16\"", "[2]", "[0,4]", [0, 0, 0, 0]), "tensor 'a': dtype F16 is not supported; GanDsl reads F32, I64 and U8" },
        { "unknown dtype", One("\"F33\"", "[2]", "[0,8]", TwoFloats), "tensor 'a': dtype 'F33' is unknown" },
        { "lower-case dtype", One("\"f32\"", "[2]", "[0,8]", TwoFloats), "tensor 'a': dtype 'f32' is unknown" },
        { "shape a string", One("\"F32\"", "\"2\"", "[0,8]", TwoFloats), "tensor 'a': \"shape\" is a string, not an array" },
        { "shape null", One("\"F32\"", "null", "[0,8]", TwoFloats), "tensor 'a': \"shape\" is null, not an array" },
        { "fractional dimension", One("\"F32\"", "[1.5]", "[0,6]", [.. TwoFloats[..6]]), "tensor 'a': dimension 0 of \"shape\" is 1.5, not an integer" },
        { "dimension a string", One("\"F32\"", "[\"2\"]", "[0,8]", TwoFloats), "tensor 'a': dimension 0 of \"shape\" is a string, not an integer" },
        { "negative dimension", One("\"F32\"", "[1,-2]", "[0,8]", TwoFloats), "tensor 'a': dimension 1 of \"shape\" is negative (-2)" },
        { "dimension over int", One("\"F32\"", "[4294967296]", "[0,8]", TwoFloats), "tensor 'a': dimension 0 of \"shape\" is 4294967296, over GanDsl's limit of 2147483647" },
        { "dimension over 64 bits", One("\"F32\"", "[123456789012345678901234567890]", "[0,8]", TwoFloats), "dimension 0 of \"shape\" is 123456789012345678901234567890, over GanDsl's limit" },
        { "overflowing shape", One("\"F32\"", "[2147483647,2147483647,2147483647]", "[0,8]", TwoFloats), "tensor 'a': shape [2147483647, 2147483647, 2147483647] has too many elements" },
        { "offsets short of the shape", One("\"F32\"", "[2]", "[0,4]", TwoFloats[..4]), "tensor 'a': shape [2] of F32 takes 8 bytes, but data_offsets [0, 4] span 4" },
        { "offsets beyond the shape", One("\"I64\"", "[1]", "[0,16]", [.. TwoFloats, .. TwoFloats]), "tensor 'a': shape [1] of I64 takes 8 bytes, but data_offsets [0, 16] span 16" },
        { "offsets reversed", One("\"F32\"", "[2]", "[8,0]", TwoFloats), "tensor 'a': data_offsets [8, 0] end before they begin" },
        { "one offset", One("\"F32\"", "[2]", "[8]", TwoFloats), "tensor 'a': \"data_offsets\" is [8], not two non-negative integers" },
        { "three offsets", One("\"F32\"", "[2]", "[0,8,8]", TwoFloats), "not two non-negative integers" },
        { "negative offset", One("\"F32\"", "[2]", "[-8,0]", TwoFloats), "not two non-negative integers" },
        { "offset a string", One("\"F32\"", "[2]", "[0,\"8\"]", TwoFloats), "not two non-negative integers" },
        { "offsets an object", One("\"F32\"", "[2]", "{\"begin\":0}", TwoFloats), "not two non-negative integers" },
        { "offsets past the data", One("\"F32\"", "[2]", "[0,8]", TwoFloats[..4]), "tensor 'a': data_offsets [0, 8] reach past the end of the 4-byte data buffer" },
        { "offsets far past the data", One("\"F32\"", "[2]", $"[{ulong.MaxValue - 8},{ulong.MaxValue}]", TwoFloats), "reach past the end of the 8-byte data buffer" },

        // Coverage of the data buffer.
        {
            "overlapping tensors",
            Build($"{{{Entry("a", "F32", [2], 0, 8)},{Entry("b", "F32", [2], 4, 12)}}}", Floats(1, 2, 3)),
            "tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [4, 12]) overlap"
        },
        {
            "same bytes twice",
            Build($"{{{Entry("a", "F32", [2], 0, 8)},{Entry("b", "F32", [2], 0, 8)}}}", TwoFloats),
            "tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [0, 8]) overlap"
        },
        {
            "empty tensor inside another",
            Build($"{{{Entry("a", "F32", [2], 0, 8)},{Entry("e", "F32", [0], 4, 4)}}}", TwoFloats),
            "tensors 'a' (data_offsets [0, 8]) and 'e' (data_offsets [4, 4]) overlap"
        },
        {
            "gap between tensors",
            Build($"{{{Entry("a", "F32", [1], 0, 4)},{Entry("b", "F32", [1], 8, 12)}}}", Floats(1, 2, 3)),
            "a gap of 4 bytes that no tensor covers lies before tensor 'b' (data_offsets [8, 12])"
        },
        { "gap at the start", Build($"{{{Entry("a", "F32", [1], 4, 8)}}}", TwoFloats), "a gap of 4 bytes that no tensor covers lies before tensor 'a'" },
        { "trailing bytes", Build($"{{{Entry("a", "F32", [1], 0, 4)}}}", TwoFloats), "4 trailing bytes after the last tensor's data belong to no tensor" },
        { "data but no tensors", Build("{}", [1, 2, 3]), "3 trailing bytes after the last tensor's data belong to no tensor" },

        // Names and metadata.
        { "duplicate names", Build($"{{{Entry("a", "F32", [1], 0, 4)},{Entry("a", "F32", [1], 4, 8)}}}", TwoFloats), "the header has two tensors named 'a'" },
        { "duplicate names, one escaped", Build($"{{{Entry("a", "F32", [1], 0, 4)},{Entry("\\u0061", "F32", [1], 4, 8)}}}", TwoFloats), "the header has two tensors named 'a'" },
        { "lone surrogate name", Build($"{{{Entry("\\ud800", "F32", [2], 0, 8)}}}", TwoFloats), "unpaired UTF-16 surrogate" },
        { "metadata twice", Build("{\"__metadata__\":{},\"__metadata__\":{}}"), "the header has \"__metadata__\" twice" },
        { "metadata an array", Build("{\"__metadata__\":[]}"), "\"__metadata__\" is an array, not a JSON object" },
        { "metadata null", Build("{\"__metadata__\":null}"), "\"__metadata__\" is null, not a JSON object" },
        { "metadata value a number", Build("{\"__metadata__\":{\"step\":42}}"), "\"__metadata__\" value of 'step' is a number, not a string" },
        { "metadata value an object", Build("{\"__metadata__\":{\"x\":{}}}"), "\"__metadata__\" value of 'x' is an object, not a string" },
        { "metadata key twice", Build("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), "\"__metadata__\" has the key 'k' twice" },
        { "metadata lone surrogate", Build("{\"__metadata__\":{\"k\":\"\\udfff\"}}"), "unpaired UTF-16 surrogate" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Malformed_files_are_refused_naming_the_file_and_the_problem(string kind, byte[] bytes, string problem)
    {
        string path = Path.GetFullPath(_dir.File("corrupt.safetensors"));
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Read(path));

        Assert.True(error.Problem.Contains(problem, StringComparison.Ordinal), $"{kind}: expected '{problem}' in '{error.Problem}'");
        Assert.Equal(path, error.FilePath);
        Assert.Equal($"{path}: {error.Problem}", error.Message);
        Assert.IsAssignableFrom<IOException>(error);
    }

    /// <summary>A small valid file with metadata and all three dtypes, including an empty tensor.</summary>
    private static byte[] ValidFile()
    {
        var stream = new MemoryStream();
        SafetensorsFile.Write(
            stream,
            [
                new SafetensorsTensor("w", [2, 3], [1f, -2f, 3.5f, 0f, 1e-3f, -7f]),
                new SafetensorsTensor("none", [0], Array.Empty<float>()),
                new SafetensorsTensor("step", [], [12L]),
                new SafetensorsTensor("mask", [3], [(byte)1, (byte)0, (byte)1]),
            ],
            new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3" });
        return stream.ToArray();
    }

    /// <summary>Reads <paramref name="bytes"/> as a file; only success or <see cref="CheckpointFormatException"/> is acceptable.</summary>
    private static SafetensorsFile? ReadOrRefuse(byte[] bytes, string label)
    {
        try
        {
            return SafetensorsFile.Read(new MemoryStream(bytes, writable: false), "fuzz.safetensors");
        }
        catch (CheckpointFormatException e)
        {
            Assert.StartsWith("fuzz.safetensors: ", e.Message);
            return null;
        }
        catch (Exception e)
        {
            Assert.Fail($"{label}: {e.GetType().Name} escaped: {e.Message}");
            throw;
        }
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        byte[] valid = ValidFile();
        Assert.NotNull(ReadOrRefuse(valid, "intact"));

        for (int length = 0; length < valid.Length; length++)
        {
            Assert.True(ReadOrRefuse(valid[..length], $"truncated to {length}") is null, $"truncated to {length} bytes was accepted");
        }

        // Through a real file too, for the shortest and longest cuts.
        foreach (int length in new[] { 0, 7, 8, valid.Length - 1 })
        {
            string path = _dir.File($"cut{length}.safetensors");
            File.WriteAllBytes(path, valid[..length]);
            Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Read(path));
        }
    }

    [Fact]
    public void Random_header_damage_gives_only_format_errors()
    {
        byte[] valid = ValidFile();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        byte[] jsonBytes = "{}[]\",:0123456789-+.eE \\u\tnull"u8.ToArray();
        var random = new Random(20240601);
        int refused = 0;
        for (int trial = 0; trial < 600; trial++)
        {
            byte[] damaged = (byte[])valid.Clone();
            int hits = 1 + random.Next(3);
            for (int h = 0; h < hits; h++)
            {
                int position = random.Next(headerEnd);
                // Half bit flips, half JSON punctuation, which reaches deeper into the parser.
                damaged[position] = trial % 2 == 0
                    ? (byte)(damaged[position] ^ (1 << random.Next(8)))
                    : jsonBytes[random.Next(jsonBytes.Length)];
            }

            if (ReadOrRefuse(damaged, $"trial {trial}") is null)
            {
                refused++;
            }
        }

        Assert.InRange(refused, 300, 600); // most damage is caught, and the loop did run
    }

    [Fact]
    public void Damage_to_tensor_data_or_padding_goes_unnoticed()
    {
        // The format has no checksum: a flipped data bit reads back as a different value.
        byte[] valid = ValidFile();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        var random = new Random(5);
        for (int position = headerEnd; position < valid.Length; position++)
        {
            byte[] damaged = (byte[])valid.Clone();
            damaged[position] ^= (byte)(1 << random.Next(8));
            Assert.NotNull(ReadOrRefuse(damaged, $"data byte {position}"));
        }

        // Padding spaces may become other JSON whitespace.
        int padding = Array.LastIndexOf(valid, (byte)'}', headerEnd - 1) + 1;
        Assert.InRange(headerEnd - padding, 0, 7);
        for (int position = padding; position < headerEnd; position++)
        {
            byte[] damaged = (byte[])valid.Clone();
            damaged[position] = (byte)'\n';
            Assert.NotNull(ReadOrRefuse(damaged, $"padding byte {position}"));
        }
    }
}
