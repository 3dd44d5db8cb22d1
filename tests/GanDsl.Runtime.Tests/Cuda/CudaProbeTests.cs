using GanDsl.Backends;
using GanDsl.Cuda;
using GanDsl.Cuda.Interop;

namespace GanDsl.Tests.Cuda;

/// <summary>The GPU probe and what the backend factory says with it: one clear sentence, never a crash.</summary>
public sealed class CudaProbeTests
{
    [Fact]
    public void TheProbeReportsAGpuOrOneReason()
    {
        var probe = CudaProbe.Run();
        if (probe.Usable)
        {
            Assert.NotNull(probe.DeviceName);
            Assert.True(probe.ComputeCapability!.Major >= 5, $"compute capability {probe.ComputeCapability}");
            Assert.True(probe.MemoryBytes > 0);
            Assert.Empty(probe.Reason);
            return;
        }

        Assert.False(string.IsNullOrWhiteSpace(probe.Reason));
        Assert.DoesNotContain('\n', probe.Reason);
        if (!CudaLibraries.TryLoad(CudaLibraries.Driver, out _, out _))
        {
            // No driver (this CI machine): the sentence names the library and where it was looked for.
            Assert.StartsWith("The NVIDIA CUDA driver", probe.Reason);
            Assert.Contains(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", probe.Reason);
            Assert.Contains(CudaLibraries.DirectoryVariable, probe.Reason);
        }
    }

    [Fact]
    public void AnExplicitCudaRequestGivesTheGpuOrSaysWhyNot()
    {
        var probe = CudaProbe.Run();
        if (probe.Usable)
        {
            using var backend = BackendFactory.Create(DeviceChoice.Cuda);
            Assert.Equal("cuda", backend.Name);
            Assert.Contains(probe.DeviceName!, backend.Description);
            return;
        }

        var e = Assert.Throws<NotSupportedException>(() => BackendFactory.Create(DeviceChoice.Cuda));
        Assert.StartsWith("Cannot train on CUDA: ", e.Message);
        Assert.Contains(probe.Reason.TrimEnd('.'), e.Message);
        Assert.EndsWith(".", e.Message);
        Assert.DoesNotContain("--device", e.Message); // the library knows no command line; the samples add their option
    }

    [Fact]
    public void AutoTakesTheGpuOrFallsBackToTheCpuSayingWhy()
    {
        var log = new StringWriter();
        using var backend = BackendFactory.Create(DeviceChoice.Auto, log, cpuThreads: 1);
        if (CudaProbe.Run().Usable)
        {
            Assert.Equal("cuda", backend.Name);
            Assert.Empty(log.ToString());
            return;
        }

        Assert.Equal("cpu", backend.Name);
        Assert.StartsWith("device auto: using the CPU (", log.ToString());
    }
}
