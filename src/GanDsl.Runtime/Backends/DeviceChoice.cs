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
    /// that cannot be honoured throws <see cref="NotSupportedException"/> with the reason. <paramref name="tf32"/>
    /// lets cuBLAS use TF32 on a GPU (off: exact fp32).
    /// </summary>
    public static Backend Create(DeviceChoice choice, TextWriter? log = null, int? cpuThreads = null, bool tf32 = false)
    {
        switch (choice)
        {
            case DeviceChoice.Cpu:
                return CreateCpu(cpuThreads);
            case DeviceChoice.Cuda:
                try
                {
                    return Cuda.CudaBackend.Create(tf32);
                }
                catch (Cuda.Interop.CudaUnavailableException e)
                {
                    throw new NotSupportedException($"Cannot train on CUDA: {e.Message.TrimEnd('.')}. Use --device cpu or auto.", e);
                }

            default:
                var probe = Cuda.CudaProbe.Run();
                if (!probe.Usable)
                {
                    log?.WriteLine($"device auto: using the CPU ({probe.Reason.TrimEnd('.')})");
                    return CreateCpu(cpuThreads);
                }

                try
                {
                    return Cuda.CudaBackend.Create(probe, tf32);
                }
                catch (Exception e) when (e is Cuda.CudaException or Cuda.KernelCompileException or Cuda.Interop.CudaUnavailableException)
                {
                    log?.WriteLine($"device auto: found {probe.Describe()} but could not start CUDA ({FirstLine(e.Message)}); using the CPU");
                    return CreateCpu(cpuThreads);
                }
        }
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n');
        return (end < 0 ? text : text[..end]).TrimEnd('.', ':');
    }

    private static CpuBackend CreateCpu(int? threads) => threads is int n ? new CpuBackend(n) : new CpuBackend();
}
