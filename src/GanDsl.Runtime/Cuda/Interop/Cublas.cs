using System.Runtime.InteropServices;

namespace GanDsl.Cuda.Interop;

/// <summary>The cuBLAS calls GanDsl uses (cuBLAS 11 and later). Column-major, as cuBLAS is: see <c>CudaGemm</c> for the row-major mapping.</summary>
internal static partial class Cublas
{
    public const int Success = 0;

    /// <summary>cublasOperation_t: CUBLAS_OP_N, CUBLAS_OP_T.</summary>
    public const int OpN = 0, OpT = 1;

    /// <summary>cublasMath_t: CUBLAS_DEFAULT_MATH (exact fp32), CUBLAS_TF32_TENSOR_OP_MATH.</summary>
    public const int DefaultMath = 0, Tf32TensorOpMath = 3;

    [LibraryImport(CudaLibraries.Cublas, EntryPoint = "cublasCreate_v2")]
    public static partial int cublasCreate(out nint handle);

    [LibraryImport(CudaLibraries.Cublas, EntryPoint = "cublasDestroy_v2")]
    public static partial int cublasDestroy(nint handle);

    [LibraryImport(CudaLibraries.Cublas, EntryPoint = "cublasGetVersion_v2")]
    public static partial int cublasGetVersion(nint handle, out int version);

    [LibraryImport(CudaLibraries.Cublas, EntryPoint = "cublasSetStream_v2")]
    public static partial int cublasSetStream(nint handle, nint stream);

    [LibraryImport(CudaLibraries.Cublas)]
    public static partial int cublasSetMathMode(nint handle, int mode);

    [LibraryImport(CudaLibraries.Cublas, EntryPoint = "cublasSetWorkspace_v2")]
    public static partial int cublasSetWorkspace(nint handle, ulong workspace, nuint bytes);

    [LibraryImport(CudaLibraries.Cublas, EntryPoint = "cublasSgemm_v2")]
    public static partial int cublasSgemm(
        nint handle, int transA, int transB, int m, int n, int k,
        in float alpha, ulong a, int lda, ulong b, int ldb, in float beta, ulong c, int ldc);

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="status"/> is CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw new CudaException(call, status, StatusName(status));
        }
    }

    /// <summary>cublasStatus_t names (cublas_api.h).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {status}",
    };
}
