using BenchmarkDotNet.Attributes;
using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Training;

namespace GanDsl.Bench;

/// <summary>
/// One full training step of the seed GAN (noise, generator forward, discriminator step on real and
/// fake, generator step through the discriminator, both Adam updates) on the CPU, with the fused
/// kernels and with bias and activation as separate passes.
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private Backend _backend = null!;
    private BenchGenerator _generator = null!;
    private BenchDiscriminator _discriminator = null!;
    private GanTrainer _trainer = null!;
    private ImageSet _images = null!;
    private int _position;
    private int _steps;

    /// <summary>Images per batch (the discriminator sees twice as many rows).</summary>
    [Params(64, 256)]
    public int BatchSize { get; set; }

    /// <summary>Fused bias + activation (and derivative + bias gradient) kernels, or separate passes.</summary>
    [Params(true, false)]
    public bool Fused { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend();
        _generator = new BenchGenerator(_backend, 1) { FuseKernels = Fused };
        _discriminator = new BenchDiscriminator(_backend, 2) { FuseKernels = Fused };
        _trainer = new GanTrainer(_generator, _discriminator, new GanOptions { BatchSize = BatchSize, Seed = 3 });

        // MNIST-shaped random bytes: the step's cost does not depend on the pixel values.
        var pixels = new byte[10_000 * 784];
        new System.Random(5).NextBytes(pixels);
        var labels = new byte[10_000];
        var data = MnistDataset.Create(pixels, labels);
        _images = _trainer.Upload(data);
        _steps = data.Count / BatchSize;
    }

    [Benchmark(Description = "training step")]
    public void Step()
    {
        _trainer.Step(_images, _position * BatchSize);
        _position = (_position + 1) % _steps;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trainer.Dispose();
        _generator.Dispose();
        _discriminator.Dispose();
        _backend.Dispose();
    }
}
