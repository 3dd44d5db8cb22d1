using System.Globalization;
using System.Text;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Evaluation;

namespace GanDsl.Evaluation;

/// <summary>The metrics of one set of images, beside the real data's own values for reading them.</summary>
/// <param name="Count">Images scored.</param>
/// <param name="Score">The MNIST score: exp of the mean KL(p(y|x) || p(y)); 10 is the most a 10-class set can get.</param>
/// <param name="FrechetDistance">Fréchet distance between the classifier features of these images and of the real test set.</param>
/// <param name="Coverage">The share of each digit, by the classifier.</param>
/// <param name="Conditional">For conditional generators: how often the digit asked for was produced.</param>
/// <param name="Reference">The real test set's own values.</param>
public sealed record MetricsReport(int Count, double Score, double FrechetDistance, ClassCoverage Coverage, ConditionalAccuracy? Conditional, MetricsReference Reference)
{
    /// <summary>A printable table with the reference values beside these.</summary>
    public string ToTable(string title)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(title);
        text.AppendLine(string.Create(c, $"  {"metric",-30} {"generated",12} {"real test set",16}"));
        text.AppendLine(string.Create(c, $"  {"MNIST score (max 10)",-30} {Score,12:F3} {Reference.TestScore,16:F3}"));
        text.AppendLine(string.Create(c, $"  {"Frechet distance to test set",-30} {FrechetDistance,12:F3} {Reference.TestToTrainDistance,16:F3}  (test vs train)"));
        text.AppendLine(string.Create(c, $"  {"digits covered (>= 1%)",-30} {Coverage.CoveredClasses,12} {Reference.TestCoverage.CoveredClasses,16}"));
        text.AppendLine(string.Create(c, $"  {"share entropy (max 1)",-30} {Coverage.NormalizedEntropy,12:F3} {Reference.TestCoverage.NormalizedEntropy,16:F3}"));
        if (Conditional is not null)
        {
            text.AppendLine(string.Create(c, $"  {"digit asked for = produced",-30} {Conditional.Accuracy,12:P1} {Reference.ClassifierAccuracy,16:P1}  (classifier accuracy)"));
        }

        text.Append("  share per digit: ");
        for (int d = 0; d < Coverage.ClassCount; d++)
        {
            text.Append(string.Create(c, $"{d}:{Coverage.Shares[d],5:P1}  "));
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>The real MNIST test set's own metrics, printed beside generated ones so the numbers can be read.</summary>
/// <param name="TestScore">The test set's MNIST score.</param>
/// <param name="TestToTrainDistance">Fréchet distance between test-set and training-set features: about as low as a perfect generator can get.</param>
/// <param name="TestCoverage">The digit shares of the test set.</param>
/// <param name="ClassifierAccuracy">The classifier's accuracy on the test set.</param>
public sealed record MetricsReference(double TestScore, double TestToTrainDistance, ClassCoverage TestCoverage, double ClassifierAccuracy);

/// <summary>
/// Scores generated MNIST images with the <see cref="ReferenceClassifier"/> (the TF-GAN approach):
/// the MNIST score, the Fréchet distance to the real test set, the digit shares, and for
/// conditional models the accuracy of the digit produced against the digit asked for.
/// </summary>
public sealed class MnistEvaluator
{
    private const int Batch = 500;
    private readonly MnistClassifier _classifier;
    private readonly FeatureStatistics _testFeatures;

    private MnistEvaluator(MnistClassifier classifier, FeatureStatistics testFeatures, MetricsReference reference)
    {
        _classifier = classifier;
        _testFeatures = testFeatures;
        Reference = reference;
    }

    /// <summary>The real test set's own values.</summary>
    public MetricsReference Reference { get; }

    /// <summary>Loads (or trains once and caches) the classifier and measures the real data's reference values.</summary>
    public static MnistEvaluator Create(MnistData data, Backend backend, TextWriter? log = null, string? classifierDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var classifier = ReferenceClassifier.LoadOrTrain(data, backend, log, classifierDirectory);
        var (testProbabilities, testFeatures) = Classify(classifier, Pixels(data.Test), data.Test.Count);
        var (_, trainFeatures) = Classify(classifier, Pixels(data.Train), data.Train.Count);
        var test = FeatureStatistics.FromFeatures(testFeatures, data.Test.Count, MnistClassifier.FeatureCount);
        var train = FeatureStatistics.FromFeatures(trainFeatures, data.Train.Count, MnistClassifier.FeatureCount);
        var labels = new int[data.Test.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = data.Test.GetLabel(i);
        }

        var reference = new MetricsReference(
            ClassifierScore.Compute(testProbabilities, data.Test.Count, 10),
            global::GanDsl.Evaluation.FrechetDistance.Compute(test, train),
            ClassCoverage.FromProbabilities(testProbabilities, data.Test.Count, 10),
            ConditionalAccuracy.FromProbabilities(testProbabilities, data.Test.Count, 10, labels).Accuracy);
        return new MnistEvaluator(classifier, test, reference);
    }

    /// <summary>
    /// Scores <paramref name="count"/> images given as (count, 784) floats in [-1, 1];
    /// <paramref name="requestedLabels"/>, for conditional generators, are the digits asked for.
    /// </summary>
    public MetricsReport Evaluate(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> requestedLabels = default)
    {
        if (images.Length != count * 784)
        {
            throw new ArgumentException($"Expected {count} x 784 values, got {images.Length}.", nameof(images));
        }

        if (count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "The metrics need at least two images.");
        }

        var (probabilities, features) = Classify(_classifier, images, count);
        var statistics = FeatureStatistics.FromFeatures(features, count, MnistClassifier.FeatureCount);
        return new MetricsReport(
            count,
            ClassifierScore.Compute(probabilities, count, 10),
            global::GanDsl.Evaluation.FrechetDistance.Compute(statistics, _testFeatures),
            ClassCoverage.FromProbabilities(probabilities, count, 10),
            requestedLabels.IsEmpty ? null : ConditionalAccuracy.FromProbabilities(probabilities, count, 10, requestedLabels),
            Reference);
    }

    /// <summary>Class probabilities (softmax, count x 10) and penultimate features (count x 256) of images in [-1, 1].</summary>
    internal static (float[] Probabilities, float[] Features) Classify(MnistClassifier classifier, ReadOnlySpan<float> images, int count)
    {
        var backend = classifier.Backend;
        classifier.EnsureCapacity(Batch);
        var probabilities = new float[count * 10];
        var features = new float[count * MnistClassifier.FeatureCount];
        for (int start = 0; start < count; start += Batch)
        {
            int rows = Math.Min(Batch, count - start);
            backend.Upload(images.Slice(start * 784, rows * 784), classifier.Input(rows));
            classifier.Forward(rows);
            backend.Download(classifier.Output(rows), probabilities.AsSpan(start * 10, rows * 10));
            backend.Download(classifier.Activation(MnistClassifier.FeatureSlot, rows), features.AsSpan(start * MnistClassifier.FeatureCount, rows * MnistClassifier.FeatureCount));
        }

        for (int r = 0; r < count; r++)
        {
            Softmax(probabilities.AsSpan(r * 10, 10));
        }

        return (probabilities, features);
    }

    private static void Softmax(Span<float> row)
    {
        float max = row[0];
        foreach (float v in row)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            sum += Math.Exp(row[i] - max);
        }

        for (int i = 0; i < row.Length; i++)
        {
            row[i] = (float)(Math.Exp(row[i] - max) / sum);
        }
    }

    private static float[] Pixels(MnistDataset data)
    {
        var pixels = new float[data.Count * data.PixelsPerImage];
        for (int i = 0; i < data.Count; i++)
        {
            data.CopyImage(i, pixels.AsSpan(i * data.PixelsPerImage, data.PixelsPerImage));
        }

        return pixels;
    }
}
