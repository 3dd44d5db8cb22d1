using BenchmarkDotNet.Attributes;
using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Bench;

/// <summary>
/// One training step of the TensorFlow tutorial's MNIST DCGAN (samples/Dcgan's models) at the
/// tutorial's batch of 256 on the CPU: the generator's transposed convolutions and BatchNorm, the
/// discriminator's convolutions and dropout, both Adam updates.
/// </summary>
[MemoryDiagnoser]
public class DcganStepBenchmarks
{
    private StepRunner _runner = null!;

    /// <summary>Images per batch.</summary>
    [Params(256)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var backend = new CpuBackend();
        var adam = new AdamSettings(1e-4, 0.9, 0.999, 1e-7);
        _runner = new StepRunner(backend, new Dcgan.DcganGenerator(backend, 1), new Dcgan.DcganDiscriminator(backend, 2), new GanOptions
        {
            BatchSize = BatchSize,
            Seed = 3,
            SampleCount = 16,
            GeneratorOptimizer = adam,
            DiscriminatorOptimizer = adam,
        }, images: 4 * BatchSize);
    }

    [Benchmark(Description = "DCGAN training step")]
    public void Step() => _runner.Step();

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();
}
