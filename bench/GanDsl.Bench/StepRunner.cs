using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Training;

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
