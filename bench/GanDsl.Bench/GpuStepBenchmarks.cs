using BenchmarkDotNet.Attributes;
using GanDsl.Backends;
using GanDsl.Cuda;

namespace GanDsl.Bench;

/// <summary>How the GPU step runs: call by call, or replayed from a captured CUDA graph.</summary>
public enum GpuMode
{
    /// <summary>Every backend call launched on its own.</summary>
    Eager,

    /// <summary>The step captured once and replayed with one launch.</summary>
    Graph,
}

/// <summary>
/// What the GPU benchmarks share: each invocation queues <see cref="StepsPerInvoke"/> steps and waits for
/// them, so the figure is the GPU's time per step in a steady stream (as training runs), not one step's
/// launch latency. Needs a usable NVIDIA GPU; Program.cs leaves these out, saying why, where there is none.
/// </summary>
public abstract class GpuBenchmark
{
    private StepRunner _runner = null!;
    private Backend _backend = null!;

    /// <summary>Eager launches or graph replay.</summary>
    [Params(GpuMode.Eager, GpuMode.Graph)]
    public GpuMode Mode { get; set; }

    /// <summary>Steps queued per invocation.</summary>
    protected abstract int StepsPerInvoke { get; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = CudaBackend.Create();
        _runner = CreateRunner(_backend, Mode == GpuMode.Graph);
        for (int i = 0; i < 3; i++)
        {
            _runner.Step();
        }

        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();

    /// <summary>The trainer to time, on <paramref name="backend"/>.</summary>
    private protected abstract StepRunner CreateRunner(Backend backend, bool graph);

    /// <summary>Queues the steps of one invocation and waits for them.</summary>
    protected void Steps()
    {
        for (int i = 0; i < StepsPerInvoke; i++)
        {
            _runner.Step();
        }

        _backend.Synchronize();
    }
}

/// <summary>The seed GAN's full training step on the GPU at batch 64, 256 and 1024, eager and graph-replayed.</summary>
[BenchmarkCategory("gpu")]
public class GpuStepBenchmarks : GpuBenchmark
{
    /// <summary>Images per batch.</summary>
    [Params(64, 256, 1024)]
    public int BatchSize { get; set; }

    /// <inheritdoc />
    protected override int StepsPerInvoke => 100;

    [Benchmark(Description = "GPU training step", OperationsPerInvoke = 100)]
    public void Step() => Steps();

    /// <inheritdoc />
    private protected override StepRunner CreateRunner(Backend backend, bool graph) => GpuTiming.Mlp(backend, BatchSize, graph, images: 60_000);
}

/// <summary>The DCGAN's training step on the GPU at the tutorial's batch of 256, eager and graph-replayed.</summary>
[BenchmarkCategory("gpu")]
public class GpuDcganStepBenchmarks : GpuBenchmark
{
    /// <inheritdoc />
    protected override int StepsPerInvoke => 10;

    [Benchmark(Description = "GPU DCGAN training step", OperationsPerInvoke = 10)]
    public void Step() => Steps();

    /// <inheritdoc />
    private protected override StepRunner CreateRunner(Backend backend, bool graph) => GpuTiming.Dcgan(backend, 256, graph, images: 4096);
}
