namespace GanDsl.Backends.Cpu;

/// <summary>Host memory for the CPU backend: a pinned array, so kernels may take raw pointers into it.</summary>
internal sealed class CpuBuffer : DeviceBuffer
{
    internal CpuBuffer(CpuBackend backend, long length)
        : base(backend, length)
    {
        if (length > System.Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"The CPU backend holds at most {System.Array.MaxLength} floats per buffer, not {length}.");
        }

        Array = GC.AllocateArray<float>((int)length, pinned: true);
    }

    /// <summary>The storage (pinned).</summary>
    public float[] Array { get; }
}
