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
                throw new NotSupportedException($"Cannot train on CUDA: {CudaUnavailableReason()}. Use --device cpu or auto.");
            default:
                log?.WriteLine($"device auto: using the CPU ({CudaUnavailableReason()})");
                return CreateCpu(cpuThreads);
        }
    }

    // Why the GPU is not used: what the probe found missing, or, with a usable GPU, that the CUDA
    // backend (bindings and kernels exist; the training backend does not yet) is not finished.
    private static string CudaUnavailableReason()
    {
        var probe = Cuda.CudaProbe.Run();
        string reason = probe.Usable
            ? $"found {probe.Describe()}, but this build's CUDA training backend is not finished"
            : probe.Reason;
        return reason.TrimEnd('.');
    }

    private static CpuBackend CreateCpu(int? threads) => threads is int n ? new CpuBackend(n) : new CpuBackend();
}
