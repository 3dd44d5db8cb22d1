namespace GanDsl.Cuda;

/// <summary>CUDA cannot be used here: no GPU, no driver, or a library missing. The message says which, in one sentence.</summary>
public sealed class CudaUnavailableException(string message) : Exception(message);
