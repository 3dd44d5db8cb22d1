using GanDsl.Backends.Cpu;
using GanDsl.Backends;

namespace GanDsl;

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

/// <summary>Creates backends by device choice (<see cref="Backend.Create"/>).</summary>
internal static class BackendFactory
{
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
                catch (Cuda.CudaUnavailableException e)
                {
                    throw new NotSupportedException($"Cannot train on CUDA: {e.Message.TrimEnd('.')}.", e);
                }

            default:
                var probe = Cuda.CudaProbe.Run();
                if (!probe.Usable)
                {
                    return Noted(CreateCpu(cpuThreads), $"device auto: using the CPU ({probe.Reason.TrimEnd('.')})", log);
                }

                try
                {
                    return Cuda.CudaBackend.Create(probe, tf32);
                }
                catch (Exception e) when (e is Cuda.CudaException or Cuda.KernelCompileException or Cuda.CudaUnavailableException)
                {
                    return Noted(CreateCpu(cpuThreads), $"device auto: found {probe.Describe()} but could not start CUDA ({FirstLine(e.Message)}); using the CPU", log);
                }
        }
    }

    // The reason for the choice goes to the log now, or, with none, to the trainer's first lines.
    private static Backend Noted(Backend backend, string note, TextWriter? log)
    {
        if (log is null)
        {
            backend.ChoiceNote = note;
        }
        else
        {
            log.WriteLine(note);
        }

        return backend;
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n');
        return (end < 0 ? text : text[..end]).TrimEnd('.', ':');
    }

    private static CpuBackend CreateCpu(int? threads) => threads is int n ? new CpuBackend(n) : new CpuBackend();
}
