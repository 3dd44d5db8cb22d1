using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GanDsl.Backends.Cpu;
using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// A dense, row-major (rows, cols) view into a <see cref="DeviceBuffer"/>. A value type: making
/// views allocates nothing, so generated code makes them freely inside a training step.
/// </summary>
public readonly struct Tensor : IEquatable<Tensor>
{
    /// <summary>A view of <paramref name="rows"/> x <paramref name="cols"/> floats at <paramref name="offset"/>.</summary>
    public Tensor(DeviceBuffer buffer, long offset, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (rows < 0 || cols < 0 || offset < 0 || offset + (long)rows * cols > buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"A ({rows}, {cols}) view at offset {offset} does not fit in a buffer of {buffer.Length} floats.");
        }

        Buffer = buffer;
        Offset = offset;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The storage this view reads and writes.</summary>
    public DeviceBuffer Buffer { get; }

    /// <summary>Offset of the first element, in floats.</summary>
    public long Offset { get; }

    /// <summary>Number of rows (the batch dimension for activations).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (features).</summary>
    public int Cols { get; }

    /// <summary>Rows times columns.</summary>
    public int Length => Rows * Cols;

    /// <summary>Whether this is the default (empty) value.</summary>
    public bool IsEmpty => Buffer is null;

    /// <summary>The first <paramref name="rows"/> rows.</summary>
    public Tensor Top(int rows) => new(Buffer, Offset, rows, Cols);

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
    public Tensor Slice(int start, int count) => new(Buffer, Offset + (long)start * Cols, count, Cols);

    /// <summary>The same elements seen as (<paramref name="rows"/>, <paramref name="cols"/>).</summary>
    public Tensor Reshape(int rows, int cols) =>
        (long)rows * cols == Length
            ? new(Buffer, Offset, rows, cols)
            : throw new ArgumentException($"Cannot view ({Rows}, {Cols}) as ({rows}, {cols}).");

    /// <summary>The elements as a span, for tensors in host memory (the CPU backend).</summary>
    public Span<float> Span =>
        Buffer is CpuBuffer cpu
            ? cpu.Array.AsSpan(checked((int)Offset), Length)
            : throw new InvalidOperationException($"This tensor lives on {Buffer?.Backend.Name ?? "no backend"}; copy it to the host with Backend.Download.");

    /// <summary>A reference to the first element, for CPU kernels; no bounds check beyond the view's construction.</summary>
    public ref float Ref
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(((CpuBuffer)Buffer).Array), (nint)Offset);
    }

    /// <summary>The shape as text, e.g. <c>(64, 784)</c>.</summary>
    public override string ToString() => $"({Rows}, {Cols})";

    /// <inheritdoc />
    public bool Equals(Tensor other) =>
        ReferenceEquals(Buffer, other.Buffer) && Offset == other.Offset && Rows == other.Rows && Cols == other.Cols;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Tensor t && Equals(t);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Buffer, Offset, Rows, Cols);

    /// <summary>Same buffer, offset and shape.</summary>
    public static bool operator ==(Tensor left, Tensor right) => left.Equals(right);

    /// <summary>Not the same view.</summary>
    public static bool operator !=(Tensor left, Tensor right) => !left.Equals(right);
}
