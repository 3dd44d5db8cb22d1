namespace GanDsl.Cuda;

/// <summary>A CUDA driver, NVRTC or cuBLAS call failed; the message names the call and the error.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> returning <paramref name="code"/>.</summary>
    public CudaException(string call, int code, string errorName, string? detail = null)
        : base($"{call} failed: {errorName} ({code}){(string.IsNullOrEmpty(detail) ? "" : ": " + detail)}")
    {
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    /// <summary>The API function that failed, e.g. <c>cuModuleLoadData</c>.</summary>
    public string Call { get; }

    /// <summary>Its numeric result.</summary>
    public int Code { get; }

    /// <summary>The result's name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }
}
