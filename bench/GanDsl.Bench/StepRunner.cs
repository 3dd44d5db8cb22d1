using GanDsl.Backends;
using GanDsl.Data;

namespace GanDsl.Bench;

/// <summary>
/// A GAN trainer over MNIST-shaped random bytes (a step's cost does not depend on the pixel values),
/// stepping through the batches in turn; owns the backend and both networks.
/// </summary>
internal sealed class StepRunner : IDisposable
{
    private readonly Backend _backend;
    private readonly Network _generator;
    private readonly Network _discriminator;
    private readonly ImageSet _images;
    private readonly int _batches;
    private int _position;

    public StepRunner(Backend backend, Network generator, Network discriminator, GanOptions options, int images)
    {
        _backend = backend;
        _generator = generator;
        _discriminator = discriminator;
        Trainer = new GanTrainer(generator, discriminator, options);
        var pixels = new byte[images * 784];
        new Random(5).NextBytes(pixels);
        var data = MnistDataset.Create(pixels, new byte[images]);
        _images = Trainer.Upload(data);
        _batches = data.Count / options.BatchSize;
    }

    public GanTrainer Trainer { get; }

    /// <summary>One full training step on the next batch.</summary>
    public void Step()
    {
        Trainer.Step(_images, _position * Trainer.Options.BatchSize);
        _position = (_position + 1) % _batches;
    }

    public void Dispose()
    {
        Trainer.Dispose();
        _generator.Dispose();
        _discriminator.Dispose();
        _backend.Dispose();
    }
}

/// <summary>A <see cref="Trainer"/> running a user-written step over MNIST-shaped random bytes; owns the backend, the step and its networks.</summary>
internal sealed class UserStepRunner : IDisposable
{
    private readonly Backend _backend = new Backends.Cpu.CpuBackend();
    private readonly TrainingStep _step;
    private readonly Trainer _trainer;
    private readonly DeviceDataset _data;
    private readonly int _batches;
    private int _position;

    public UserStepRunner(Func<Backend, int, TrainingStep> make, int batch, int images = 10_000)
    {
        _step = make(_backend, batch);
        _trainer = new Trainer(_step);
        var pixels = new byte[images * 784];
        new Random(5).NextBytes(pixels);
        _data = _trainer.Upload(MnistDataset.Create(pixels, new byte[images]));
        _batches = images / batch;
    }

    /// <summary>One full training step on the next batch.</summary>
    public void Step()
    {
        _trainer.Step(_data, _position * _step.BatchSize);
        _position = (_position + 1) % _batches;
    }

    public void Dispose()
    {
        _trainer.Dispose();
        foreach (var (_, network) in _step.Networks)
        {
            network.Dispose();
        }

        _step.Dispose();
        _backend.Dispose();
    }
}
