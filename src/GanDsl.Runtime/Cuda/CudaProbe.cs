using System.Text;
using GanDsl.Cuda.Interop;

namespace GanDsl.Cuda;

/// <summary>What <see cref="CudaProbe.Run"/> found: the first GPU and the libraries, or why CUDA cannot be used.</summary>
/// <param name="Usable">Whether the driver, a GPU, NVRTC and cuBLAS are all there.</param>
/// <param name="Reason">When not usable, one sentence saying what is missing; otherwise empty.</param>
/// <param name="DeviceName">The first GPU's name, e.g. <c>NVIDIA H100 80GB HBM3</c>, when there is one.</param>
/// <param name="ComputeCapability">The first GPU's compute capability, e.g. 9.0.</param>
/// <param name="Multiprocessors">Its streaming multiprocessors.</param>
/// <param name="MemoryBytes">Its memory.</param>
/// <param name="DriverVersion">The driver's CUDA version, e.g. 13.0.</param>
internal sealed record CudaProbeResult(bool Usable, string Reason, string? DeviceName, Version? ComputeCapability, int Multiprocessors, long MemoryBytes, Version? DriverVersion)
{
    /// <summary>One line for logs, e.g. <c>NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.6 GiB), driver CUDA 13.0</c>.</summary>
    public string Describe() => DeviceName is null
        ? Reason
        : $"{DeviceName} (sm_{ComputeCapability!.Major}{ComputeCapability.Minor}, {Multiprocessors} SMs, {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB), driver CUDA {DriverVersion}";
}

/// <summary>
/// Looks for a usable NVIDIA GPU without committing to it: loads the driver, initialises it, reads the
/// first device's name and capability, and checks that NVRTC and cuBLAS load. Never throws: each
/// failure becomes the result's one-sentence reason.
/// </summary>
internal static class CudaProbe
{
    /// <summary>Probes the machine (cheap; safe to call when there is no GPU at all).</summary>
    public static unsafe CudaProbeResult Run()
    {
        if (!CudaLibraries.TryLoad(CudaLibraries.Driver, out _, out string driverDetail))
        {
            return Unusable(driverDetail);
        }

        try
        {
            int init = CudaDriver.cuInit(0);
            if (init != CudaDriver.Success)
            {
                // CUDA_ERROR_NO_DEVICE (100) is the common case: a driver but no GPU visible.
                return Unusable(init == 100
                    ? "The NVIDIA driver is installed but sees no GPU (cuInit: CUDA_ERROR_NO_DEVICE)"
                    : $"The NVIDIA driver could not start (cuInit: {CudaDriver.ErrorName(init)})");
            }

            CudaDriver.Check(CudaDriver.cuDriverGetVersion(out int driver), "cuDriverGetVersion");
            CudaDriver.Check(CudaDriver.cuDeviceGetCount(out int count), "cuDeviceGetCount");
            if (count == 0)
            {
                return Unusable("The NVIDIA driver sees no GPU (cuDeviceGetCount: 0)");
            }

            CudaDriver.Check(CudaDriver.cuDeviceGet(out int device, 0), "cuDeviceGet");
            var name = new byte[256];
            fixed (byte* p = name)
            {
                CudaDriver.Check(CudaDriver.cuDeviceGetName(p, name.Length, device), "cuDeviceGetName");
            }

            CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out int major, CudaDriver.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute");
            CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out int minor, CudaDriver.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute");
            CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out int sms, CudaDriver.AttributeMultiprocessorCount, device), "cuDeviceGetAttribute");
            CudaDriver.Check(CudaDriver.cuDeviceTotalMem(out nuint bytes, device), "cuDeviceTotalMem");
            string deviceName = Encoding.UTF8.GetString(name, 0, Math.Max(0, Array.IndexOf(name, (byte)0)));
            var found = new CudaProbeResult(false, "", deviceName, new Version(major, minor), sms, (long)bytes, new Version(driver / 1000, driver % 1000 / 10));

            foreach (string library in new[] { CudaLibraries.Nvrtc, CudaLibraries.Cublas })
            {
                if (!CudaLibraries.TryLoad(library, out _, out string detail))
                {
                    return found with { Reason = $"Found {found.Describe()}, but {char.ToLowerInvariant(detail[0])}{detail[1..]}" };
                }
            }

            return found with { Usable = true };
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Unusable($"The NVIDIA driver failed while probing: {e.Message}");
        }
    }

    private static CudaProbeResult Unusable(string reason) => new(false, reason, null, null, 0, 0, null);
}
