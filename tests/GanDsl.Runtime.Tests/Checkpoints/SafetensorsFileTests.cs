using System.Text;
using System.Text.Json;
using GanDsl.Checkpoints;
using static GanDsl.Tests.Checkpoints.SafetensorsBytes;

namespace GanDsl.Tests.Checkpoints;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Encode(IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var stream = new MemoryStream();
        SafetensorsFile.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Float bit patterns that a lossy copy would disturb.</summary>
    private static readonly float[] Awkward =
    [
        BitConverter.Int32BitsToSingle(0x7FC00000), // quiet NaN
        BitConverter.Int32BitsToSingle(0x7FC12345), // quiet NaN with a payload
        BitConverter.Int32BitsToSingle(0x7F800001), // signalling NaN
        BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)), // negative NaN with a payload
        -0f, 0f, float.Epsilon, -float.Epsilon,
        BitConverter.Int32BitsToSingle(0x00123456), // subnormal
        BitConverter.Int32BitsToSingle(0x007FFFFF), // largest subnormal
        float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, 1f / 3, -2.5f,
    ];

    [Fact]
    public void Round_trip_keeps_every_tensor_bit_and_the_metadata()
    {
        var random = new Random(7);
        float[] weights = [.. Enumerable.Range(0, 12).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        SafetensorsTensor[] tensors =
        [
            new("g.0.weight", [3, 4], weights),
            new("g.0.bias", [16], Awkward),
            new("scale", [], [0.125f]),
            new("empty", [0], Array.Empty<float>()),
            new("empty.3d", [2, 0, 3], Array.Empty<float>()),
            new("adam.step", [], [long.MinValue]),
            new("counters", [2, 2], [0L, -1L, long.MaxValue, 1234567890123L]),
            new("flags", [5], [(byte)0, (byte)1, (byte)127, (byte)128, (byte)255]),
        ];
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["quotes \"and\" \\slashes\\"] = "line\nbreak\ttab <html> & 'apostrophe' +plus",
            ["unicode"] = "é 漢字 😀 \u0001",
            ["empty"] = "",
        };
        string path = _dir.File("model.safetensors");

        SafetensorsFile.Write(path, tensors, metadata);
        SafetensorsFile file = SafetensorsFile.Read(path);

        Assert.Equal(Path.GetFullPath(path), file.FilePath);
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        Assert.Equal(tensors.Length, file.Tensors.Count);
        foreach (SafetensorsTensor expected in tensors)
        {
            SafetensorsTensor actual = file[expected.Name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.Shape, actual.Shape);
            switch (expected.DType)
            {
                case SafetensorsDType.F32:
                    Assert.Equal(Bits(expected.AsFloat32()), Bits(actual.AsFloat32()));
                    break;
                case SafetensorsDType.I64:
                    Assert.Equal(expected.AsInt64(), actual.AsInt64());
                    break;
                default:
                    Assert.Equal(expected.AsUInt8(), actual.AsUInt8());
                    break;
            }
        }
    }

    [Fact]
    public void A_tensor_larger_than_the_copy_chunk_round_trips()
    {
        // 300 000 floats = 1.2 MB, more than the 1 MB pieces the reader and writer move.
        var random = new Random(11);
        float[] data = new float[300_000];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = BitConverter.Int32BitsToSingle(random.Next());
        }

        string path = _dir.File("big.safetensors");
        SafetensorsFile.Write(path, [new SafetensorsTensor("big", [600, 500], data), new SafetensorsTensor("after", [2], [1f, 2f])]);
        SafetensorsFile file = SafetensorsFile.Read(path);

        Assert.Equal(Bits(data), Bits(file.GetFloat32("big", 600, 500)));
        Assert.Equal([1f, 2f], file.GetFloat32("after", 2));
    }

    [Fact]
    public void Writes_exactly_the_bytes_the_format_specifies()
    {
        // {"__metadata__":{"format":"pt"},"a":{...[0,8]},"b":{...[8,12]}}, then 6 spaces to make a multiple of 8.
        const string json =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}";
        Assert.Equal(138, json.Length); // so 6 spaces of padding make 144
        byte[] expected =
        [
            144, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(json), .. "      "u8,
            0x00, 0x00, 0x80, 0x3F, // 1.0f
            0x00, 0x00, 0x20, 0xC0, // -2.5f
            0x00, 0x00, 0x00, 0x3F, // 0.5f
        ];
        SafetensorsTensor[] tensors = [new("a", [2], [1f, -2.5f]), new("b", [], [0.5f])];
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };

        Assert.Equal(expected, Encode(tensors, metadata));

        string path = _dir.File("exact.safetensors");
        SafetensorsFile.Write(path, tensors, metadata);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Header_strings_are_escaped_as_JSON_and_keep_non_ASCII_readable()
    {
        // The name w"é\ and the value <é> plus a line break, in JSON: only the quote, backslash and control character are escaped.
        const string json = """{"__metadata__":{"a+b":"<é>\n"},"w\"é\\":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""";

        byte[] actual = Encode([new SafetensorsTensor("w\"é\\", [1], [(byte)7])], new Dictionary<string, string> { ["a+b"] = "<é>\n" });

        Assert.Equal(Build(json, [7]), actual);
    }

    [Fact]
    public void An_empty_file_is_a_padded_empty_object()
    {
        byte[] expected = [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', .. "      "u8];

        Assert.Equal(expected, Encode([]));
        Assert.Equal(expected, Encode([], new Dictionary<string, string>())); // empty metadata is omitted

        string path = _dir.File("empty.safetensors");
        File.WriteAllBytes(path, expected);
        SafetensorsFile file = SafetensorsFile.Read(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Header_is_padded_so_every_tensor_is_aligned_and_lies_by_decreasing_element_size()
    {
        SafetensorsTensor[] tensors =
        [
            new("u8.first", [3], [(byte)1, (byte)2, (byte)3]),
            new("f32.first", [1], [1f]),
            new("i64.first", [1], [1L]),
            new("u8.second", [1], [(byte)9]),
            new("f32.second", [3], [1f, 2f, 3f]),
            new("i64.second", [2], [5L, 6L]),
        ];
        byte[] bytes = Encode(tensors);

        ulong headerSize = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, headerSize % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerSize);
        Assert.Equal(header.TrimEnd(' '), header.TrimEnd()); // padding is spaces only
        using JsonDocument document = JsonDocument.Parse(header);
        var layout = document.RootElement.EnumerateObject()
            .Select(p => (Name: p.Name, Begin: p.Value.GetProperty("data_offsets")[0].GetInt64(), Size: p.Value.GetProperty("dtype").GetString() switch
            {
                "I64" => 8,
                "F32" => 4,
                _ => 1,
            }))
            .ToArray();

        Assert.Equal(["i64.first", "i64.second", "f32.first", "f32.second", "u8.first", "u8.second"], layout.Select(t => t.Name));
        Assert.Equal(layout.OrderBy(t => t.Begin).Select(t => t.Name), layout.Select(t => t.Name)); // header order = data order
        Assert.All(layout, t => Assert.Equal(0, (8 + (long)headerSize + t.Begin) % t.Size));
        Assert.Equal(layout.Select(t => t.Name), SafetensorsFile.Read(WriteFile(bytes)).Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Reads_a_hand_built_file_in_any_key_order_with_whitespace_and_unknown_fields()
    {
        // Keys out of offset order, metadata last, pretty-printed, an unknown field, no padding,
        // a scalar and an empty tensor sharing an offset, and "\u0062" for "b".
        string header = """
            {
              "b\u0062" : { "data_offsets" : [12, 28], "shape" : [2], "dtype" : "I64", "extra": {"x": [1, 2]} },
              "a" : { "dtype" : "F32", "shape" : [1, 3], "data_offsets" : [0, 12] },
              "none" : { "dtype" : "U8", "shape" : [0, 4], "data_offsets" : [28, 28] },
              "c" : { "dtype" : "U8", "shape" : [], "data_offsets" : [28, 29] },
              "__metadata__" : { "step" : "42", "note" : "caf\u00e9" }
            }
            """;
        byte[] data = [.. Floats(1.5f, -0f, 3e-42f), .. Longs(-7, long.MaxValue), 200];
        SafetensorsFile file = SafetensorsFile.Read(WriteFile(Build(header, data, pad: false)));

        Assert.Equal(["a", "bb", "none", "c"], file.Tensors.Select(t => t.Name));
        Assert.Equal(Bits([1.5f, -0f, 3e-42f]), Bits(file.GetFloat32("a", 1, 3)));
        Assert.Equal([-7L, long.MaxValue], file["bb"].AsInt64());
        Assert.Equal(SafetensorsDType.I64, file["bb"].DType);
        Assert.Equal([0, 4], file["none"].Shape);
        Assert.Empty(file["none"].AsUInt8());
        Assert.Equal([(byte)200], file["c"].AsUInt8());
        Assert.Empty(file["c"].Shape);
        Assert.Equal("42", file.Metadata["step"]);
        Assert.Equal("café", file.Metadata["note"]);
    }

    [Fact]
    public void Tensor_names_and_metadata_with_any_characters_round_trip()
    {
        string[] names = ["é.权重", "with \"quotes\"", "back\\slash", "new\nline", "", " ", "😀", "<script>&"];
        SafetensorsTensor[] tensors = [.. names.Select((n, i) => new SafetensorsTensor(n, [1], [(float)i]))];
        SafetensorsFile file = SafetensorsFile.Read(WriteFile(Encode(tensors, new Dictionary<string, string> { ["k\u00e9"] = "😀" })));

        Assert.Equal(names, file.Tensors.Select(t => t.Name));
        Assert.Equal("😀", file.Metadata["k\u00e9"]);
    }

    [Fact]
    public void GetFloat32_checks_presence_dtype_and_shape_naming_the_file()
    {
        string path = WriteFile(Encode([new SafetensorsTensor("w", [2, 3], new float[6]), new SafetensorsTensor("n", [1], [1L])]));
        SafetensorsFile file = SafetensorsFile.Read(path);

        Assert.Equal(6, file.GetFloat32("w", 2, 3).Length);
        var missing = Assert.Throws<CheckpointFormatException>(() => file.GetFloat32("v", 2, 3));
        Assert.Equal("there is no tensor named 'v'", missing.Problem);
        Assert.Equal($"{Path.GetFullPath(path)}: there is no tensor named 'v'", missing.Message);
        var shape = Assert.Throws<CheckpointFormatException>(() => file.GetFloat32("w", 3, 2));
        Assert.Equal("tensor 'w' has shape [2, 3], not the expected [3, 2]", shape.Problem);
        var dtype = Assert.Throws<CheckpointFormatException>(() => file.GetFloat32("n", 1));
        Assert.Equal("tensor 'n' holds I64 elements, not F32", dtype.Problem);

        Assert.True(file.TryGet("w", out SafetensorsTensor? w));
        Assert.Equal("w", w.Name);
        Assert.False(file.TryGet("v", out _));
        var notFound = Assert.Throws<KeyNotFoundException>(() => file["v"]);
        Assert.Contains(Path.GetFileName(path), notFound.Message);
    }

    [Fact]
    public void Tensors_refuse_inconsistent_arguments()
    {
        Assert.Throws<ArgumentException>(() => new SafetensorsTensor("w", [2, 3], new float[5]));
        Assert.Throws<ArgumentException>(() => new SafetensorsTensor("s", [], Array.Empty<float>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SafetensorsTensor("w", [-1, 0], Array.Empty<float>()));
        Assert.Throws<ArgumentException>(() => new SafetensorsTensor("w", [int.MaxValue, int.MaxValue, int.MaxValue, 2], new float[1]));
        Assert.Throws<ArgumentException>(() => new SafetensorsTensor("__metadata__", [1], new float[1]));
        Assert.Throws<ArgumentException>(() => new SafetensorsTensor("lone \ud800 surrogate", [1], new float[1]));
        Assert.Throws<ArgumentNullException>(() => new SafetensorsTensor(null!, [1], new float[1]));

        var tensor = new SafetensorsTensor("w", [2], [1f, 2f]);
        Assert.Equal(2, tensor.ElementCount);
        Assert.Equal(8, tensor.ByteCount);
        Assert.Throws<InvalidOperationException>(() => tensor.AsInt64());
        Assert.Throws<InvalidOperationException>(() => tensor.AsUInt8());
        Assert.Equal("w: F32 [2]", tensor.ToString());
    }

    [Fact]
    public void Writing_refuses_duplicate_names_and_bad_metadata_before_touching_the_disk()
    {
        string path = _dir.File("refused.safetensors");
        SafetensorsTensor a = new("a", [1], [1f]);

        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [a, new SafetensorsTensor("a", [1], [2L])]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [a, null!]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [a], new Dictionary<string, string> { ["k"] = null! }));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [a], new Dictionary<string, string> { ["k"] = "\udc00" }));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    private string WriteFile(byte[] bytes)
    {
        string path = _dir.File($"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
