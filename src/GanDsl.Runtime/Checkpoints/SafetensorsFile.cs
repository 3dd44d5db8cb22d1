using System.Buffers;
using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using GanDsl.IO;

namespace GanDsl.Checkpoints;

/// <summary>
/// Reads and writes safetensors files, the tensor container of Hugging Face and PyTorch
/// (<c>safetensors.torch.load_file</c> reads what <see cref="Write(string, IEnumerable{SafetensorsTensor}, IReadOnlyDictionary{string, string}?)"/> writes).
/// </summary>
/// <remarks>
/// <para>
/// The layout: an unsigned 64-bit little-endian header size N; N bytes of UTF-8 JSON, an object
/// mapping each tensor name to <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c>,
/// plus an optional <c>"__metadata__"</c> object of string to string; then the data buffer, where
/// each tensor's little-endian elements lie, row-major, in <c>[begin, end)</c> counted from the
/// buffer's start. The tensors cover the buffer exactly, without gaps or overlaps.
/// </para>
/// <para>
/// <see cref="Read(string)"/> checks all of this and refuses a malformed file with a
/// <see cref="CheckpointFormatException"/> that names the file and the problem.
/// </para>
/// </remarks>
public sealed class SafetensorsFile
{
    /// <summary>The header key reserved for the string-to-string metadata.</summary>
    internal const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, the reference implementation's limit (100 MB).</summary>
    internal const int MaxHeaderBytes = 100_000_000;

    /// <summary>Tensor data moves to and from the file in pieces of this many bytes.</summary>
    private const int ChunkBytes = 1 << 20;

    /// <summary>The format's other dtypes, which GanDsl recognises but does not load.</summary>
    private static readonly HashSet<string> OtherDTypes =
    [
        "BOOL", "I8", "I16", "U16", "I32", "U32", "U64", "F16", "BF16", "F64", "C64",
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4",
    ];

    private readonly Dictionary<string, SafetensorsTensor> _byName;

    private SafetensorsFile(string filePath, SafetensorsTensor[] tensors, Dictionary<string, string> metadata)
    {
        FilePath = filePath;
        Tensors = new ReadOnlyCollection<SafetensorsTensor>(tensors);
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        _byName = new Dictionary<string, SafetensorsTensor>(tensors.Length, StringComparer.Ordinal);
        foreach (SafetensorsTensor tensor in tensors)
        {
            _byName.Add(tensor.Name, tensor);
        }
    }

    /// <summary>The full path of the file this was read from.</summary>
    public string FilePath { get; }

    /// <summary>The <c>"__metadata__"</c> entries, empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order their data lies in the file.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    public SafetensorsTensor this[string name] =>
        TryGet(name, out SafetensorsTensor? tensor) ? tensor : throw new KeyNotFoundException($"{FilePath}: there is no tensor named '{name}'.");

    /// <summary>Looks up the tensor named <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="tensor">The tensor, when found.</param>
    /// <returns>Whether the file has a tensor of that name.</returns>
    public bool TryGet(string name, [MaybeNullWhen(false)] out SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out tensor);
    }

    /// <summary>
    /// The elements of the F32 tensor named <paramref name="name"/>, checked to have exactly the
    /// dimensions <paramref name="shape"/>: what a loader calls for each parameter it restores.
    /// </summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions the tensor must have (none for a scalar).</param>
    /// <returns>The tensor's elements (its array, not a copy).</returns>
    /// <exception cref="CheckpointFormatException">The tensor is missing, is not F32, or has another shape.</exception>
    public float[] GetFloat32(string name, params ReadOnlySpan<int> shape)
    {
        if (!TryGet(name, out SafetensorsTensor? tensor))
        {
            throw new CheckpointFormatException(FilePath, $"there is no tensor named '{name}'");
        }

        if (tensor.DType != SafetensorsDType.F32)
        {
            throw new CheckpointFormatException(FilePath, $"tensor '{name}' holds {tensor.DType} elements, not F32");
        }

        if (!tensor.ShapeSpan.SequenceEqual(shape))
        {
            throw new CheckpointFormatException(
                FilePath,
                $"tensor '{name}' has shape {SafetensorsTensor.FormatShape(tensor.ShapeSpan)}, not the expected {SafetensorsTensor.FormatShape(shape)}");
        }

        return tensor.AsFloat32();
    }

    /// <summary>Reads and validates a whole safetensors file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>Its tensors and metadata.</returns>
    /// <exception cref="CheckpointFormatException">
    /// The file is not a valid safetensors file (truncated, bad header, inconsistent offsets, ...) or
    /// holds a dtype other than F32, I64 and U8.
    /// </exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (IO.FileChecks.Problem(full) is { } problem)
        {
            throw new CheckpointFormatException(full, problem);
        }

        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return Read(stream, full);
    }

    /// <summary>
    /// Reads a safetensors file from <paramref name="stream"/>, which must be seekable and positioned
    /// at its start; <paramref name="filePath"/> names it in error messages.
    /// </summary>
    internal static SafetensorsFile Read(Stream stream, string filePath)
    {
        try
        {
            return ReadCore(stream, filePath);
        }
        catch (EndOfStreamException e)
        {
            // Only when the file shrinks while being read: its length was checked against the header.
            throw new CheckpointFormatException(filePath, "the file ended early; did it change while being read?", e);
        }
    }

    /// <summary>
    /// Writes a safetensors file atomically (see <see cref="AtomicFile"/>): a crash mid-write leaves
    /// any previous file at <paramref name="path"/> untouched. The directory is created when missing.
    /// </summary>
    /// <remarks>
    /// The data is laid out by decreasing element size (I64, then F32, then U8), keeping the given
    /// order among tensors of one size, so every tensor is aligned to its element size in the file
    /// (the header is padded with spaces to a multiple of 8 bytes), as the reference writer does.
    /// The metadata entries are written in ordinal order of their keys, so equal content gives
    /// identical bytes.
    /// </remarks>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">The tensors, with distinct names.</param>
    /// <param name="metadata">String metadata for <c>"__metadata__"</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">Two tensors share a name, or the metadata holds a null or malformed string.</exception>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors, metadata, wrapStream: null);

    /// <summary>
    /// <see cref="Write(string, IEnumerable{SafetensorsTensor}, IReadOnlyDictionary{string, string}?)"/>
    /// with <see cref="AtomicFile"/>'s test hook, to simulate a crash mid-write.
    /// </summary>
    internal static void Write(
        string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata, Func<Stream, Stream>? wrapStream)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafetensorsTensor[] ordered = Arrange(tensors);
        byte[] header = BuildHeader(ordered, metadata);
        AtomicFile.Write(path, stream => WriteContent(stream, header, ordered), wrapStream);
    }

    /// <summary>
    /// Writes a safetensors file to <paramref name="stream"/> from its current position, not
    /// atomically; the stream stays open. Lays the file out as
    /// <see cref="Write(string, IEnumerable{SafetensorsTensor}, IReadOnlyDictionary{string, string}?)"/> does.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">The tensors, with distinct names.</param>
    /// <param name="metadata">String metadata for <c>"__metadata__"</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">Two tensors share a name, or the metadata holds a null or malformed string.</exception>
    public static void Write(Stream stream, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafetensorsTensor[] ordered = Arrange(tensors);
        WriteContent(stream, BuildHeader(ordered, metadata), ordered);
    }

    // ---- Reading ----

    /// <summary>A header entry, validated on its own.</summary>
    private sealed record Entry(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End)
    {
        public int Count => (int)((End - Begin) / SafetensorsTensor.SizeOf(DType));

        public string Offsets => $"[{Begin}, {End}]";
    }

    private static SafetensorsFile ReadCore(Stream stream, string filePath)
    {
        long fileLength = stream.Length;
        if (fileLength < sizeof(ulong))
        {
            throw new CheckpointFormatException(filePath, $"the file is {fileLength} bytes long, too short for the 8-byte header size");
        }

        Span<byte> sizeField = stackalloc byte[sizeof(ulong)];
        stream.ReadExactly(sizeField);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(sizeField);
        if (headerSize > MaxHeaderBytes)
        {
            throw new CheckpointFormatException(filePath, $"the header size {headerSize} is over the limit of {MaxHeaderBytes} bytes");
        }

        long afterSize = fileLength - sizeof(ulong);
        if ((long)headerSize > afterSize)
        {
            throw new CheckpointFormatException(filePath, $"the header size {headerSize} is more than the {afterSize} bytes that follow it");
        }

        byte[] header = new byte[(int)headerSize];
        stream.ReadExactly(header);
        long dataLength = afterSize - (long)headerSize;
        (List<Entry> entries, Dictionary<string, string> metadata) = ParseHeader(header, dataLength, filePath);

        // The entries are sorted and tile the data buffer from its start, which is where the stream is.
        var tensors = new SafetensorsTensor[entries.Count];
        for (int i = 0; i < tensors.Length; i++)
        {
            Entry entry = entries[i];
            tensors[i] = entry.DType switch
            {
                SafetensorsDType.F32 => new SafetensorsTensor(entry.Name, entry.Shape, ReadElements<float>(stream, entry.Count)),
                SafetensorsDType.I64 => new SafetensorsTensor(entry.Name, entry.Shape, ReadElements<long>(stream, entry.Count)),
                _ => new SafetensorsTensor(entry.Name, entry.Shape, ReadElements<byte>(stream, entry.Count)),
            };
        }

        return new SafetensorsFile(filePath, tensors, metadata);
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header, long dataLength, string filePath)
    {
        if (!Utf8.IsValid(header))
        {
            throw new CheckpointFormatException(filePath, "the header is not valid UTF-8");
        }

        if (header.Length == 0 || header[0] != (byte)'{')
        {
            throw new CheckpointFormatException(filePath, "the header does not start with '{', so it is not a JSON object");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(filePath, $"the header is not valid JSON: {e.Message}", e);
        }

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using (document)
        {
            try
            {
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    string name = property.Name;
                    if (!names.Add(name))
                    {
                        throw new CheckpointFormatException(
                            filePath, name == MetadataKey ? $"the header has \"{MetadataKey}\" twice" : $"the header has two tensors named '{name}'");
                    }

                    if (name == MetadataKey)
                    {
                        ParseMetadata(property.Value, metadata, filePath);
                    }
                    else
                    {
                        entries.Add(ParseEntry(name, property.Value, dataLength, filePath));
                    }
                }
            }
            catch (InvalidOperationException e)
            {
                // What System.Text.Json throws when a string's \u escapes leave an unpaired surrogate.
                throw new CheckpointFormatException(filePath, $"the header has a string with an unpaired UTF-16 surrogate escape: {e.Message}", e);
            }
        }

        // Stable, so empty tensors sharing an offset keep their header order.
        List<Entry> sorted = [.. entries.OrderBy(e => e.Begin).ThenBy(e => e.End)];
        long covered = 0;
        Entry? previous = null;
        foreach (Entry entry in sorted)
        {
            if (entry.Begin > covered)
            {
                throw new CheckpointFormatException(
                    filePath,
                    $"a gap of {entry.Begin - covered} bytes that no tensor covers lies before tensor '{entry.Name}' (data_offsets {entry.Offsets})");
            }

            if (entry.Begin < covered)
            {
                throw new CheckpointFormatException(
                    filePath,
                    $"tensors '{previous!.Name}' (data_offsets {previous.Offsets}) and '{entry.Name}' (data_offsets {entry.Offsets}) overlap");
            }

            covered = entry.End;
            previous = entry;
        }

        if (covered < dataLength)
        {
            throw new CheckpointFormatException(
                filePath, $"{dataLength - covered} trailing bytes after the last tensor's data belong to no tensor");
        }

        return (sorted, metadata);
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string filePath)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointFormatException(filePath, $"\"{MetadataKey}\" is {Kind(value)}, not a JSON object");
        }

        foreach (JsonProperty property in value.EnumerateObject())
        {
            string key = property.Name;
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new CheckpointFormatException(filePath, $"\"{MetadataKey}\" value of '{key}' is {Kind(property.Value)}, not a string");
            }

            if (!metadata.TryAdd(key, property.Value.GetString()!))
            {
                throw new CheckpointFormatException(filePath, $"\"{MetadataKey}\" has the key '{key}' twice");
            }
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, long dataLength, string filePath)
    {
        CheckpointFormatException Bad(string problem) => new(filePath, $"tensor '{name}': {problem}");

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad($"its entry is {Kind(value)}, not a JSON object");
        }

        JsonElement? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype": dtypeValue = Once(dtypeValue, field); break;
                case "shape": shapeValue = Once(shapeValue, field); break;
                case "data_offsets": offsetsValue = Once(offsetsValue, field); break;
                default: break; // the format defines no other fields; ignore them as the reference reader does
            }
        }

        JsonElement Once(JsonElement? earlier, JsonProperty field) =>
            earlier.HasValue ? throw Bad($"\"{field.Name}\" appears twice") : field.Value;

        // dtype
        JsonElement dtypeElement = dtypeValue ?? throw Bad("\"dtype\" is missing");
        if (dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Bad($"\"dtype\" is {Kind(dtypeElement)}, not a string");
        }

        string dtypeText = dtypeElement.GetString()!;
        SafetensorsDType dtype = dtypeText switch
        {
            "F32" => SafetensorsDType.F32,
            "I64" => SafetensorsDType.I64,
            "U8" => SafetensorsDType.U8,
            _ when OtherDTypes.Contains(dtypeText) => throw Bad($"dtype {dtypeText} is not supported; GanDsl reads F32, I64 and U8"),
            _ => throw Bad($"dtype '{Truncate(dtypeText)}' is unknown (not a safetensors dtype)"),
        };

        // shape
        JsonElement shapeElement = shapeValue ?? throw Bad("\"shape\" is missing");
        if (shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Bad($"\"shape\" is {Kind(shapeElement)}, not an array");
        }

        var shape = new int[shapeElement.GetArrayLength()];
        int axis = 0;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number)
            {
                throw Bad($"dimension {axis} of \"shape\" is {Kind(dimension)}, not an integer");
            }

            if (dimension.TryGetInt64(out long size))
            {
                if (size < 0)
                {
                    throw Bad($"dimension {axis} of \"shape\" is negative ({size})");
                }

                if (size > int.MaxValue)
                {
                    throw Bad($"dimension {axis} of \"shape\" is {size}, over GanDsl's limit of {int.MaxValue}");
                }
            }
            else
            {
                // Too big for a long, or not an integer at all.
                string raw = Truncate(dimension.GetRawText());
                throw Bad(dimension.TryGetDouble(out double real) && real >= long.MaxValue && real == Math.Floor(real)
                    ? $"dimension {axis} of \"shape\" is {raw}, over GanDsl's limit of {int.MaxValue}"
                    : $"dimension {axis} of \"shape\" is {raw}, not an integer");
            }

            shape[axis++] = (int)size;
        }

        // data_offsets
        JsonElement offsetsElement = offsetsValue ?? throw Bad("\"data_offsets\" is missing");
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2
            || !TryGetOffset(offsetsElement[0], out ulong begin) || !TryGetOffset(offsetsElement[1], out ulong end))
        {
            throw Bad($"\"data_offsets\" is {Truncate(offsetsElement.GetRawText())}, not two non-negative integers [begin, end]");
        }

        string offsets = $"[{begin}, {end}]";
        if (end < begin)
        {
            throw Bad($"data_offsets {offsets} end before they begin");
        }

        long count = SafetensorsTensor.ElementCountOf(shape);
        int elementSize = SafetensorsTensor.SizeOf(dtype);
        if (count > long.MaxValue / elementSize)
        {
            throw Bad($"shape {SafetensorsTensor.FormatShape(shape)} has too many elements: its byte size overflows 64 bits");
        }

        if ((ulong)(count * elementSize) != end - begin)
        {
            throw Bad($"shape {SafetensorsTensor.FormatShape(shape)} of {dtype} takes {count * elementSize} bytes, but data_offsets {offsets} span {end - begin}");
        }

        if (end > (ulong)dataLength)
        {
            throw Bad($"data_offsets {offsets} reach past the end of the {dataLength}-byte data buffer");
        }

        if (count > Array.MaxLength)
        {
            throw Bad($"its {count} elements are more than one .NET array can hold");
        }

        return new Entry(name, dtype, shape, (long)begin, (long)end);
    }

    private static bool TryGetOffset(JsonElement element, out ulong offset)
    {
        offset = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out offset);
    }

    /// <summary>A JSON value's kind as messages name it: "a number", "null", ...</summary>
    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    /// <summary>Keeps file-controlled text in messages short.</summary>
    private static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "...");

    private static T[] ReadElements<T>(Stream stream, int count)
        where T : unmanaged
    {
        var data = new T[count];
        int chunk = ChunkBytes / Unsafe.SizeOf<T>();
        for (int i = 0; i < count;)
        {
            int n = Math.Min(chunk, count - i);
            Span<byte> bytes = MemoryMarshal.AsBytes(data.AsSpan(i, n));
            stream.ReadExactly(bytes);
            if (!BitConverter.IsLittleEndian)
            {
                ReverseEach(bytes, Unsafe.SizeOf<T>());
            }

            i += n;
        }

        return data;
    }

    // ---- Writing ----

    /// <summary>Checks the tensors and puts them in file order: by decreasing element size, stable.</summary>
    private static SafetensorsTensor[] Arrange(IEnumerable<SafetensorsTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        SafetensorsTensor[] given = [.. tensors];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SafetensorsTensor tensor in given)
        {
            if (tensor is null)
            {
                throw new ArgumentException("The tensors include null.", nameof(tensors));
            }

            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'.", nameof(tensors));
            }
        }

        return [.. given.OrderByDescending(t => SafetensorsTensor.SizeOf(t.DType))];
    }

    /// <summary>The header JSON, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] BuildHeader(SafetensorsTensor[] tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // The relaxed encoder leaves quotes, '+', '<' and non-ASCII text readable in the header
        // (plain JSON escapes only); the default one would write them all as \uXXXX.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (pair.Key is null || pair.Value is null || !SafetensorsTensor.IsWellFormed(pair.Key) || !SafetensorsTensor.IsWellFormed(pair.Value))
                    {
                        throw new ArgumentException(
                            $"Metadata entry '{pair.Key}' has a null or malformed (unpaired surrogate) key or value.", nameof(metadata));
                    }

                    json.WriteString(pair.Key, pair.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (SafetensorsTensor tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (int dimension in tensor.ShapeSpan)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.ByteCount;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int length = buffer.WrittenCount;
        byte[] header = new byte[(length + 7) / 8 * 8];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static void WriteContent(Stream stream, byte[] header, SafetensorsTensor[] tensors)
    {
        Span<byte> sizeField = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(sizeField, (ulong)header.Length);
        stream.Write(sizeField);
        stream.Write(header);
        foreach (SafetensorsTensor tensor in tensors)
        {
            switch (tensor.Data)
            {
                case float[] floats:
                    WriteElements(stream, floats);
                    break;
                case long[] longs:
                    WriteElements(stream, longs);
                    break;
                case byte[] bytes:
                    stream.Write(bytes);
                    break;
            }
        }
    }

    private static void WriteElements<T>(Stream stream, T[] data)
        where T : unmanaged
    {
        int chunk = ChunkBytes / Unsafe.SizeOf<T>();
        byte[]? swapped = BitConverter.IsLittleEndian ? null : new byte[ChunkBytes];
        for (int i = 0; i < data.Length;)
        {
            int n = Math.Min(chunk, data.Length - i);
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(data.AsSpan(i, n));
            if (swapped is not null)
            {
                Span<byte> copy = swapped.AsSpan(0, bytes.Length);
                bytes.CopyTo(copy);
                ReverseEach(copy, Unsafe.SizeOf<T>());
                bytes = copy;
            }

            stream.Write(bytes);
            i += n;
        }
    }

    /// <summary>Reverses the byte order of each <paramref name="elementSize"/>-byte element (big-endian hosts only).</summary>
    private static void ReverseEach(Span<byte> bytes, int elementSize)
    {
        if (elementSize == sizeof(uint))
        {
            Span<uint> words = MemoryMarshal.Cast<byte, uint>(bytes);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        else if (elementSize == sizeof(ulong))
        {
            Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(bytes);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }
}
