using System.Collections.ObjectModel;

namespace GanDsl.Checkpoints;

/// <summary>The element types GanDsl reads and writes in safetensors files; the names are the format's own dtype strings.</summary>
public enum SafetensorsDType
{
    /// <summary>32-bit IEEE 754 floating point, <c>"F32"</c>: weights, biases and optimizer moments.</summary>
    F32,

    /// <summary>64-bit signed integer, <c>"I64"</c>: small integer state such as step counts.</summary>
    I64,

    /// <summary>Unsigned byte, <c>"U8"</c>: small integer or opaque state.</summary>
    U8,
}

/// <summary>
/// A named tensor in a safetensors file: its element type, its shape (row-major, as PyTorch lays
/// it out) and its elements. The data array is held by reference, not copied.
/// </summary>
public sealed class SafetensorsTensor
{
    private readonly Array _data;
    private readonly int[] _shape;

    /// <summary>An <see cref="SafetensorsDType.F32"/> tensor.</summary>
    /// <param name="name">The tensor's name: any string without unpaired surrogates, except <c>"__metadata__"</c>, which the format reserves.</param>
    /// <param name="shape">The dimensions, each 0 or more; empty for a scalar (one element).</param>
    /// <param name="data">The elements in row-major order, as many as the dimensions multiply to; held, not copied.</param>
    public SafetensorsTensor(string name, ReadOnlySpan<int> shape, float[] data)
        : this(name, shape, data, SafetensorsDType.F32)
    {
    }

    /// <summary>An <see cref="SafetensorsDType.I64"/> tensor.</summary>
    /// <param name="name">The tensor's name: any string without unpaired surrogates, except <c>"__metadata__"</c>, which the format reserves.</param>
    /// <param name="shape">The dimensions, each 0 or more; empty for a scalar (one element).</param>
    /// <param name="data">The elements in row-major order, as many as the dimensions multiply to; held, not copied.</param>
    public SafetensorsTensor(string name, ReadOnlySpan<int> shape, long[] data)
        : this(name, shape, data, SafetensorsDType.I64)
    {
    }

    /// <summary>A <see cref="SafetensorsDType.U8"/> tensor.</summary>
    /// <param name="name">The tensor's name: any string without unpaired surrogates, except <c>"__metadata__"</c>, which the format reserves.</param>
    /// <param name="shape">The dimensions, each 0 or more; empty for a scalar (one element).</param>
    /// <param name="data">The elements in row-major order, as many as the dimensions multiply to; held, not copied.</param>
    public SafetensorsTensor(string name, ReadOnlySpan<int> shape, byte[] data)
        : this(name, shape, data, SafetensorsDType.U8)
    {
    }

    private SafetensorsTensor(string name, ReadOnlySpan<int> shape, Array data, SafetensorsDType dtype)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        if (name == SafetensorsFile.MetadataKey)
        {
            throw new ArgumentException($"'{SafetensorsFile.MetadataKey}' is reserved for the file's metadata and cannot name a tensor.", nameof(name));
        }

        if (!IsWellFormed(name))
        {
            throw new ArgumentException($"Tensor name '{name}' is not well-formed UTF-16 (it has an unpaired surrogate).", nameof(name));
        }

        foreach (int dimension in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dimension, nameof(shape));
        }

        if (ElementCountOf(shape) != data.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has shape {FormatShape(shape)} but {data.Length} elements.", nameof(data));
        }

        Name = name;
        DType = dtype;
        _shape = shape.ToArray();
        Shape = new ReadOnlyCollection<int>(_shape);
        _data = data;
    }

    /// <summary>The tensor's name, its key in the file.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The dimensions; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int ElementCount => _data.Length;

    /// <summary>Size of the data in the file, in bytes.</summary>
    public long ByteCount => (long)_data.Length * SizeOf(DType);

    /// <summary>The elements of an <see cref="SafetensorsDType.F32"/> tensor (the array itself, not a copy).</summary>
    /// <exception cref="InvalidOperationException">The tensor holds another type.</exception>
    public float[] AsFloat32() => _data as float[] ?? throw WrongType(SafetensorsDType.F32);

    /// <summary>The elements of an <see cref="SafetensorsDType.I64"/> tensor (the array itself, not a copy).</summary>
    /// <exception cref="InvalidOperationException">The tensor holds another type.</exception>
    public long[] AsInt64() => _data as long[] ?? throw WrongType(SafetensorsDType.I64);

    /// <summary>The elements of a <see cref="SafetensorsDType.U8"/> tensor (the array itself, not a copy).</summary>
    /// <exception cref="InvalidOperationException">The tensor holds another type.</exception>
    public byte[] AsUInt8() => _data as byte[] ?? throw WrongType(SafetensorsDType.U8);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType} {FormatShape(_shape)}";

    /// <summary>The backing array: float[], long[] or byte[], as <see cref="DType"/> says.</summary>
    internal Array Data => _data;

    /// <summary>The dimensions, without the read-only wrapper.</summary>
    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    internal static int SizeOf(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => sizeof(float),
        SafetensorsDType.I64 => sizeof(long),
        SafetensorsDType.U8 => sizeof(byte),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The product of <paramref name="shape"/>, saturated at <see cref="long.MaxValue"/>; the dimensions must not be negative.</summary>
    internal static long ElementCountOf(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int dimension in shape)
        {
            // Saturating, so a later 0 still gives 0.
            count = dimension == 0 ? 0 : count > long.MaxValue / dimension ? long.MaxValue : count * dimension;
        }

        return count;
    }

    /// <summary>A shape as the error messages show it: <c>[2, 3]</c>, <c>[]</c> for a scalar.</summary>
    internal static string FormatShape(ReadOnlySpan<int> shape) => $"[{string.Join(", ", shape.ToArray())}]";

    /// <summary>Whether <paramref name="text"/> has no unpaired surrogate, so it encodes to UTF-8 losslessly.</summary>
    internal static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private InvalidOperationException WrongType(SafetensorsDType wanted) =>
        new($"Tensor '{Name}' holds {DType} elements, not {wanted}.");
}
