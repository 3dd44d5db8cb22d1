using System.Runtime.InteropServices;

namespace GanDsl.Cuda.Interop;

/// <summary>
/// The CUDA driver API calls GanDsl uses (driver 11.x and later; the _v2 entry points are the 64-bit
/// ones). Results are CUresult codes; <see cref="Check"/> turns a failure into a <see cref="CudaException"/>.
/// </summary>
internal static unsafe partial class CudaDriver
{
    public const int Success = 0;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR / MULTIPROCESSOR_COUNT.</summary>
    public const int AttributeComputeCapabilityMajor = 75, AttributeComputeCapabilityMinor = 76, AttributeMultiprocessorCount = 16;

    /// <summary>CU_STREAM_NON_BLOCKING; CU_STREAM_CAPTURE_MODE_GLOBAL, _THREAD_LOCAL; CU_EVENT_DISABLE_TIMING.</summary>
    public const uint StreamNonBlocking = 1, CaptureModeGlobal = 0, CaptureModeThreadLocal = 1, EventDisableTiming = 2;

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuInit(uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuDriverGetVersion(out int version);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGetErrorName(int result, out nint name);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGetErrorString(int result, out nint text);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuDeviceGetCount(out int count);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuDeviceGet(out int device, int ordinal);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial int cuDeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial int cuDevicePrimaryCtxRelease(int device);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuCtxSetCurrent(nint context);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuCtxSynchronize();

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemAlloc_v2")]
    public static partial int cuMemAlloc(out ulong pointer, nuint bytes);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemFree_v2")]
    public static partial int cuMemFree(ulong pointer);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    public static partial int cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuStreamCreate(out nint stream, uint flags);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuStreamDestroy_v2")]
    public static partial int cuStreamDestroy(nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuEventCreate(out nint evt, uint flags);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuEventDestroy_v2")]
    public static partial int cuEventDestroy(nint evt);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuEventRecord(nint evt, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuEventSynchronize(nint evt);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuStreamWaitEvent(nint stream, nint evt, uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuModuleLoadData(out nint module, void* image);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuModuleUnload(nint module);

    [LibraryImport(CudaLibraries.Driver, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuLaunchKernel(
        nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuStreamBeginCapture_v2")]
    public static partial int cuStreamBeginCapture(nint stream, uint mode);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuStreamEndCapture(nint stream, out nint graph);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGraphInstantiateWithFlags(out nint executable, nint graph, ulong flags);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuCtxGetCurrent(out nint context);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGraphGetNodes(nint graph, nint* nodes, ref nuint count);

    /// <summary>The 4-argument form every driver since CUDA 10 exports (12.3 added a _v2 with edge data).</summary>
    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGraphGetEdges(nint graph, nint* from, nint* to, ref nuint count);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGraphLaunch(nint executable, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGraphExecDestroy(nint executable);

    [LibraryImport(CudaLibraries.Driver)]
    public static partial int cuGraphDestroy(nint graph);

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public static void Check(int result, string call)
    {
        if (result != Success)
        {
            throw new CudaException(call, result, ErrorName(result), ErrorText(result));
        }
    }

    /// <summary>The driver's name for <paramref name="result"/>, e.g. <c>CUDA_ERROR_NO_DEVICE</c>.</summary>
    public static string ErrorName(int result) =>
        cuGetErrorName(result, out nint name) == Success && name != 0 ? Marshal.PtrToStringUTF8(name) ?? $"CUresult {result}" : $"CUresult {result}";

    private static string? ErrorText(int result) =>
        cuGetErrorString(result, out nint text) == Success && text != 0 ? Marshal.PtrToStringUTF8(text) : null;
}
