using BenchmarkDotNet.Attributes;
using GanDsl.Backends.Cpu;

namespace GanDsl.Bench;

/// <summary>
/// One full training step of the seed GAN (noise, generator forward, discriminator step on real and
/// fake, generator step through the discriminator, both Adam updates) on the CPU, with the fused
/// kernels and with bias and activation as separate passes.
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private StepRunner _runner = null!;

    /// <summary>Images per batch (the discriminator sees twice as many rows).</summary>
    [Params(64, 256)]
    public int BatchSize { get; set; }

    /// <summary>Fused bias + activation (and derivative + bias gradient) kernels, or separate passes.</summary>
    [Params(true, false)]
    public bool Fused { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var backend = new CpuBackend();
        _runner = new StepRunner(backend, new BenchGenerator(backend, 1) { FuseKernels = Fused },
            new BenchDiscriminator(backend, 2) { FuseKernels = Fused }, new GanOptions { BatchSize = BatchSize, Seed = 3 }, images: 10_000);
    }

    [Benchmark(Description = "training step")]
    public void Step() => _runner.Step();

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();
}
