using System.ComponentModel;

namespace GanDsl.Backends;

/// <summary>
/// A block of <see cref="float"/> storage owned by a <see cref="Backend"/>: host memory for the CPU,
/// device memory for CUDA. Networks carve <see cref="Tensor"/> views out of a few large buffers.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class DeviceBuffer : IDisposable
{
    /// <summary>Creates a buffer record of <paramref name="length"/> floats.</summary>
    protected DeviceBuffer(Backend backend, long length)
    {
        Backend = backend;
        Length = length;
    }

    /// <summary>The backend that owns this memory.</summary>
    public Backend Backend { get; }

    /// <summary>Number of floats.</summary>
    public long Length { get; }

    /// <summary>A (rows, cols) row-major view starting <paramref name="offset"/> floats in.</summary>
    public Tensor View(long offset, int rows, int cols) => new(this, offset, rows, cols);

    /// <summary>The whole buffer as one row.</summary>
    public Tensor All => new(this, 0, 1, checked((int)Length));

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the memory.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
