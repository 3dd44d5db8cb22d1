using System.Diagnostics;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Randomness;

namespace GanDsl.Evaluation;

/// <summary>How <see cref="ClassifierTrainer"/> trains.</summary>
public sealed record ClassifierOptions
{
    /// <summary>Images per batch (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam settings (default lr 1e-3, betas 0.9 and 0.999).</summary>
    public AdamSettings Optimizer { get; init; } = new(1e-3, 0.9, 0.999);

    /// <summary>Multiplies the learning rate after every epoch (default 0.8), a simple exponential decay.</summary>
    public double LearningRateDecay { get; init; } = 0.8;

    /// <summary>Seed of the shuffles (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>Where per-epoch lines go (default none).</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>Supervised training of a classifier network with softmax cross-entropy and Adam.</summary>
public sealed class ClassifierTrainer : IDisposable
{
    private readonly Network _model;
    private readonly ClassifierOptions _options;
    private readonly AdamOptimizer _optimizer;
    private readonly DeviceBuffer _labels;
    private readonly DeviceBuffer _stats;
    private readonly float[] _statsHost = new float[2];

    /// <summary>Prepares to train <paramref name="model"/>, whose output width is the number of classes.</summary>
    public ClassifierTrainer(Network model, ClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new ClassifierOptions();
        _options.Optimizer.Validate("classifier");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.BatchSize);
        _optimizer = new AdamOptimizer(model, _options.Optimizer);
        _labels = model.Backend.Allocate(_options.BatchSize);
        _stats = model.Backend.Allocate(2);
        model.EnsureCapacity(_options.BatchSize);
    }

    /// <summary>Trains for <paramref name="epochs"/> passes over <paramref name="train"/>; returns the last epoch's training accuracy.</summary>
    public double Fit(MnistDataset train, int epochs)
    {
        ArgumentNullException.ThrowIfNull(train);
        var backend = _model.Backend;
        int batch = _options.BatchSize;
        using var images = backend.CreateImageSet(train.Images, train.Count, train.PixelsPerImage, train.Labels);
        var order = new int[train.Count];
        double accuracy = 0;
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            Philox.Permutation(order, _options.Seed, RandomStreams.Shuffle, (ulong)epoch);
            images.SetOrder(order);
            backend.Fill(_stats.All, 0f);
            int steps = train.Count / batch;
            for (int s = 0; s < steps; s++)
            {
                var input = _model.Input(batch);
                var labels = _labels.View(0, batch, 1);
                backend.GatherImages(images, s * batch, input);
                backend.GatherLabels(images, s * batch, labels);
                _model.Forward(batch);
                backend.SoftmaxCrossEntropy(_model.Output(batch), labels, _model.OutputGradient(batch),
                    new LossSegment { Rows = batch, GradientScale = 1f / batch, ValueScale = 1f / batch, Sum = _stats.View(0, 1, 1), Score = _stats.View(1, 1, 1) });
                _model.Backward(batch);
                _optimizer.Step();
            }

            backend.Download(_stats.All, _statsHost);
            // Both sums hold one mean per step.
            accuracy = _statsHost[1] / (double)steps;
            _options.Log?.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"classifier epoch {epoch}/{epochs}: loss {_statsHost[0] / steps:F4}, training accuracy {accuracy:P2}, {clock.Elapsed.TotalSeconds:F1} s"));
            _optimizer.Settings = _optimizer.Settings with { LearningRate = _optimizer.Settings.LearningRate * _options.LearningRateDecay };
        }

        return accuracy;
    }

    /// <summary>Fraction of <paramref name="data"/> whose arg-max class is the label.</summary>
    public double Evaluate(MnistDataset data) => Accuracy(_model, data, _options.BatchSize);

    /// <summary>Fraction of <paramref name="data"/> that <paramref name="model"/> classifies correctly.</summary>
    public static double Accuracy(Network model, MnistDataset data, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var backend = model.Backend;
        model.EnsureCapacity(batchSize);
        var logits = new float[batchSize * model.OutputFeatures];
        var pixels = new float[batchSize * data.PixelsPerImage];
        int correct = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int rows = Math.Min(batchSize, data.Count - start);
            for (int r = 0; r < rows; r++)
            {
                data.CopyImage(start + r, pixels.AsSpan(r * data.PixelsPerImage, data.PixelsPerImage));
            }

            backend.Upload(pixels.AsSpan(0, rows * data.PixelsPerImage), model.Input(rows));
            model.Forward(rows);
            backend.Download(model.Output(rows), logits.AsSpan(0, rows * model.OutputFeatures));
            for (int r = 0; r < rows; r++)
            {
                var row = logits.AsSpan(r * model.OutputFeatures, model.OutputFeatures);
                correct += IndexOfMax(row) == data.GetLabel(start + r) ? 1 : 0;
            }
        }

        return correct / (double)data.Count;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        _labels.Dispose();
        _stats.Dispose();
    }

    internal static int IndexOfMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
