using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;

namespace Autoencoder;

/// <summary>
/// The autoencoder of the seed chapter's prelude, as a user-written step: the network reconstructs each image (pixels
/// in [0, 1]), and binary cross-entropy between the reconstruction and the image trains it, as Keras' tutorial does.
/// Its sample grid shows test digits above their reconstructions.
/// </summary>
public sealed class AutoencoderStep : TrainingStep
{
    private readonly Network _net;
    private readonly Optimizer _optimizer;
    private readonly Statistic _loss;
    private readonly ImageDataset? _shown;

    /// <summary>Trains <paramref name="autoencoder"/>; the sample grid reconstructs the first images of <paramref name="shown"/>.</summary>
    public AutoencoderStep(Network autoencoder, OptimizerSettings optimizer, int batchSize, ImageDataset? shown = null)
        : base(autoencoder.Backend, batchSize)
    {
        _net = AddNetwork("autoencoder", autoencoder);
        _optimizer = AddOptimizer("autoencoder.optimizer", optimizer, autoencoder);
        _loss = AddStatistic("BCE");
        _shown = shown;
    }

    /// <summary>The network.</summary>
    public Network Network => _net;

    /// <summary>Refuses images that are not what the network reconstructs.</summary>
    public override void CheckData(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Domains[0].PixelsPerImage != _net.InputFeatures)
        {
            throw new ArgumentException($"The images have {data.Domains[0].PixelsPerImage} pixels but {_net.Layout.Name} reconstructs {_net.InputFeatures}.", nameof(data));
        }
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        s.Images(_net.Input(b), scale: PixelScale.ZeroToOne);
        _net.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropyOnProbability, _net.Output(b), _net.OutputGradient(b), target: _net.Input(b), statistic: _loss);
        _net.Backward(b);
        s.Update(_optimizer);
    }

    /// <summary>Rows of ten test digits, each above its reconstruction.</summary>
    public override SampleGrid? Samples()
    {
        if (_shown is null)
        {
            return null;
        }

        const int columns = 10;
        int rows = Math.Max(1, Math.Min(4, _shown.Count / columns)), n = Math.Min(rows * columns, _shown.Count), pixels = _shown.PixelsPerImage;
        var reconstructions = Reconstruct(_shown, n);
        var grid = new float[2 * rows * columns * pixels];
        Array.Fill(grid, -1f);
        var image = _shown.Images.Span;
        for (int i = 0; i < n; i++)
        {
            int row = i / columns, column = i % columns;
            var original = grid.AsSpan(((2 * row) * columns + column) * pixels, pixels);
            var reconstructed = grid.AsSpan(((2 * row + 1) * columns + column) * pixels, pixels);
            for (int p = 0; p < pixels; p++)
            {
                original[p] = image[i * pixels + p] / 127.5f - 1f;
                reconstructed[p] = 2f * reconstructions[i * pixels + p] - 1f;
            }
        }

        return new SampleGrid(grid, 2 * rows * columns, _shown.Height, _shown.Width, columns);
    }

    /// <summary>The reconstructions, in [0, 1], of the first <paramref name="count"/> images of <paramref name="images"/>.</summary>
    public float[] Reconstruct(ImageDataset images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, images.Count);
        int pixels = images.PixelsPerImage;
        var output = new float[(long)count * pixels];
        _net.ForwardImages(images, count, (first, rows) => Backend.Download(_net.Output(rows), output.AsSpan(first * pixels, rows * pixels)), PixelScale.ZeroToOne);
        return output;
    }

    /// <summary>
    /// The mean per-pixel binary cross-entropy of the reconstructions of the first <paramref name="count"/> images, with
    /// probabilities clipped to [1e-7, 1 - 1e-7] as Keras clips them; and the reconstructions.
    /// </summary>
    public (double CrossEntropy, float[] Reconstructions) Evaluate(ImageDataset images, int count)
    {
        var reconstructions = Reconstruct(images, count);
        var bytes = images.Images.Span;
        double total = 0;
        for (int i = 0; i < reconstructions.Length; i++)
        {
            double t = bytes[i] / 255.0, p = Math.Clamp(reconstructions[i], 1e-7, 1 - 1e-7);
            total -= t * Math.Log(p) + (1 - t) * Math.Log(1 - p);
        }

        return (total / reconstructions.Length, reconstructions);
    }
}
