using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Cuda;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// What the GPU tests share: a CUDA backend when this machine has a usable GPU (else a skip that says
/// why, the only reason they skip), and comparisons of CPU against GPU results by relative error.
/// </summary>
internal static class Gpu
{
    private static readonly Lazy<string?> s_unavailable = new(() =>
    {
        var probe = CudaProbe.Run();
        return probe.Usable ? null : probe.Reason;
    });

    /// <summary>
    /// A fresh CUDA backend (each test its own streams and cuBLAS handles), or a skip with the reason;
    /// <paramref name="branches"/> as <see cref="CudaBackend.Create(bool, string?, bool?)"/> takes it.
    /// </summary>
    public static CudaBackend Require(bool? branches = null)
    {
        if (s_unavailable.Value is { } reason)
        {
            Assert.Skip($"No usable NVIDIA GPU here: {reason}");
        }

        return CudaBackend.Create(branches: branches);
    }

    /// <summary>Seeded values in [-scale, scale).</summary>
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    /// <summary>A tensor on <paramref name="backend"/> holding <paramref name="values"/>.</summary>
    public static Tensor Tensor(Backend backend, float[] values, int rows, int cols)
    {
        var buffer = backend.Allocate(values.Length);
        var tensor = buffer.View(0, rows, cols);
        backend.Upload(values, tensor);
        return tensor;
    }

    /// <summary>The values of <paramref name="tensor"/>.</summary>
    public static float[] Host(Tensor tensor)
    {
        var values = new float[tensor.Length];
        tensor.Buffer.Backend.Download(tensor, values);
        return values;
    }

    /// <summary><c>|gpu - cpu| / |cpu|</c> in the Euclidean norm (the absolute error when the CPU's values are all zero).</summary>
    public static double RelativeError(ReadOnlySpan<float> cpu, ReadOnlySpan<float> gpu)
    {
        Assert.Equal(cpu.Length, gpu.Length);
        double difference = 0, norm = 0;
        for (int i = 0; i < cpu.Length; i++)
        {
            double d = (double)gpu[i] - cpu[i];
            difference += d * d;
            norm += (double)cpu[i] * cpu[i];
        }

        return norm == 0 ? Math.Sqrt(difference) : Math.Sqrt(difference / norm);
    }

    /// <summary>Fails unless the two agree within <paramref name="tolerance"/> (relative, as <see cref="RelativeError"/>).</summary>
    public static void Close(ReadOnlySpan<float> cpu, ReadOnlySpan<float> gpu, double tolerance, string what)
    {
        for (int i = 0; i < gpu.Length; i++)
        {
            Assert.False(float.IsNaN(gpu[i]) && !float.IsNaN(cpu[i]), $"{what}: the GPU gave NaN at {i} where the CPU gave {cpu[i]}");
        }

        double error = RelativeError(cpu, gpu);
        Assert.True(error <= tolerance, $"{what}: relative error {error:E2} above {tolerance:E0}");
    }

    /// <summary>Fails unless the two tensors (one per backend) agree within <paramref name="tolerance"/>.</summary>
    public static void Close(Tensor cpu, Tensor gpu, double tolerance, string what) => Close(Host(cpu), Host(gpu), tolerance, what);

    /// <summary>A two-thread CPU backend, the reference.</summary>
    public static CpuBackend Cpu() => new(2);
}
