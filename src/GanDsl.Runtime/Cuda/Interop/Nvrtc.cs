using System.Runtime.InteropServices;

namespace GanDsl.Cuda.Interop;

/// <summary>NVRTC, CUDA's runtime compiler: the calls GanDsl uses (CUDA 11.2 and later). Results are nvrtcResult codes.</summary>
internal static unsafe partial class Nvrtc
{
    public const int Success = 0;

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcVersion(out int major, out int minor);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial nint nvrtcGetErrorString(int result);

    [LibraryImport(CudaLibraries.Nvrtc, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nvrtcCreateProgram(out nint program, string source, string name, int headers, nint headerSources, nint includeNames);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetProgramLogSize(nint program, out nuint size);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetProgramLog(nint program, byte* log);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetCUBINSize(nint program, out nuint size);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetCUBIN(nint program, byte* cubin);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetPTXSize(nint program, out nuint size);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetPTX(nint program, byte* ptx);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcDestroyProgram(ref nint program);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetNumSupportedArchs(out int count);

    [LibraryImport(CudaLibraries.Nvrtc)]
    public static partial int nvrtcGetSupportedArchs(int* architectures);

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is NVRTC_SUCCESS.</summary>
    public static void Check(int result, string call)
    {
        if (result != Success)
        {
            throw new CudaException(call, result, ErrorName(result));
        }
    }

    /// <summary>NVRTC's own name for <paramref name="result"/>, e.g. <c>NVRTC_ERROR_COMPILATION</c>.</summary>
    public static string ErrorName(int result)
    {
        try
        {
            return Marshal.PtrToStringUTF8(nvrtcGetErrorString(result)) ?? $"nvrtcResult {result}";
        }
        catch (CudaUnavailableException)
        {
            return $"nvrtcResult {result}";
        }
    }
}
