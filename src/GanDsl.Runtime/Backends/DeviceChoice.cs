using GanDsl.Backends.Cpu;

namespace GanDsl.Backends;

/// <summary>Which device to train on.</summary>
public enum DeviceChoice
{
    /// <summary>An NVIDIA GPU when one is usable, else the CPU (saying why).</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
}

/// <summary>Creates backends by device choice.</summary>
public static class BackendFactory
{
    /// <summary>Parses <c>auto</c>, <c>cpu</c> or <c>cuda</c> (any case).</summary>
    public static DeviceChoice Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => DeviceChoice.Auto,
        "cpu" => DeviceChoice.Cpu,
        "cuda" or "gpu" => DeviceChoice.Cuda,
        _ => throw new ArgumentException($"Unknown device '{text}': use auto, cpu or cuda."),
    };

    /// <summary>
    /// Creates the backend for <paramref name="choice"/>. <see cref="DeviceChoice.Auto"/> falls back
    /// to the CPU and writes the reason to <paramref name="log"/>; an explicit <see cref="DeviceChoice.Cuda"/>
    /// that cannot be honoured throws <see cref="NotSupportedException"/> with the reason.
    /// </summary>
    public static Backend Create(DeviceChoice choice, TextWriter? log = null, int? cpuThreads = null)
    {
        switch (choice)
        {
            case DeviceChoice.Cpu:
                return CreateCpu(cpuThreads);
            case DeviceChoice.Cuda:
                throw new NotSupportedException(CudaUnavailableReason);
            default:
                log?.WriteLine($"device auto: using the CPU ({CudaUnavailableReason})");
                return CreateCpu(cpuThreads);
        }
    }

    // The CUDA backend is the next milestone; until it lands every request for it gets this sentence.
    private const string CudaUnavailableReason =
        "this build of GanDsl has no CUDA backend yet; it trains on the CPU. Use --device cpu or auto.";

    private static CpuBackend CreateCpu(int? threads) => threads is int n ? new CpuBackend(n) : new CpuBackend();
}
