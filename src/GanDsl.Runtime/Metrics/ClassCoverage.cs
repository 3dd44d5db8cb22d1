namespace GanDsl.Evaluation;

/// <summary>
/// Mode coverage of a generated set: the share of samples the classifier assigns to each class
/// (its argmax), how many classes hold a meaningful share, and the entropy of the shares. A
/// mode-collapsed generator shows one or a few covered classes and a low entropy.
/// </summary>
/// <remarks>
/// With counts cᵢ over n samples and K classes: shares sᵢ = cᵢ / n; <see cref="CoveredClasses"/> =
/// #{ i : sᵢ ≥ <see cref="Threshold"/> } (default 1%: a class counts as covered when at least one
/// sample in a hundred lands there, a tenth of its fair share on MNIST); <see cref="Entropy"/> =
/// −Σ sᵢ ln sᵢ in nats (0·ln 0 = 0), from 0 (one class) to ln K (perfectly even).
/// </remarks>
public sealed class ClassCoverage
{
    /// <summary>The default share a class needs to count as covered: 0.01.</summary>
    public const double DefaultThreshold = 0.01;

    private readonly int[] _counts;
    private readonly double[] _shares;

    private ClassCoverage(int[] counts, double threshold)
    {
        _counts = counts;
        Threshold = threshold;
        SampleCount = counts.Sum();
        _shares = new double[counts.Length];
        double entropy = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double share = (double)counts[i] / SampleCount;
            _shares[i] = share;
            if (share >= threshold)
            {
                CoveredClasses++;
            }
            if (share > 0)
            {
                entropy -= share * Math.Log(share);
            }
        }
        Entropy = entropy;
        NormalizedEntropy = entropy / Math.Log(counts.Length);
    }

    /// <summary>n, the number of samples.</summary>
    public int SampleCount { get; }

    /// <summary>K, the number of classes.</summary>
    public int ClassCount => _counts.Length;

    /// <summary>How many samples the classifier assigns to each class.</summary>
    public IReadOnlyList<int> Counts => _counts;

    /// <summary>The fraction of samples assigned to each class; they sum to 1.</summary>
    public IReadOnlyList<double> Shares => _shares;

    /// <summary>The share a class needs to count as covered.</summary>
    public double Threshold { get; }

    /// <summary>The number of classes whose share is at least <see cref="Threshold"/>.</summary>
    public int CoveredClasses { get; }

    /// <summary>−Σ sᵢ ln sᵢ, the entropy of the shares in nats: 0 for one class, ln K for an even spread.</summary>
    public double Entropy { get; }

    /// <summary><see cref="Entropy"/> / ln K, in [0, 1]: 1 for an even spread over all classes.</summary>
    public double NormalizedEntropy { get; }

    /// <summary>
    /// The coverage of <paramref name="rows"/> samples from the classifier's outputs, a rows × classes
    /// row-major matrix. Only each row's argmax is used (the first on ties, like numpy.argmax), so
    /// probabilities and logits give the same result.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No rows, fewer than 2 classes, or a threshold outside (0, 1].</exception>
    /// <exception cref="ArgumentException">The length is not rows × classes, or a value is NaN or infinite.</exception>
    public static ClassCoverage FromProbabilities(ReadOnlySpan<float> probabilities, int rows, int classes, double threshold = DefaultThreshold)
    {
        CheckArguments(classes, threshold);
        MetricArguments.CheckMatrix(probabilities, rows, classes, minimumRows: 1, nameof(probabilities));
        var counts = new int[classes];
        for (int k = 0; k < rows; k++)
        {
            counts[MetricArguments.ArgMax(probabilities.Slice(k * classes, classes))]++;
        }
        return new ClassCoverage(counts, threshold);
    }

    /// <summary>The coverage of samples whose predicted classes, each in [0, classes), are given directly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No samples, fewer than 2 classes, a label out of range, or a threshold outside (0, 1].</exception>
    public static ClassCoverage FromPredictions(ReadOnlySpan<int> predicted, int classes, double threshold = DefaultThreshold)
    {
        CheckArguments(classes, threshold);
        ArgumentOutOfRangeException.ThrowIfZero(predicted.Length, nameof(predicted));
        MetricArguments.CheckLabels(predicted, classes, nameof(predicted));
        var counts = new int[classes];
        foreach (int label in predicted)
        {
            counts[label]++;
        }
        return new ClassCoverage(counts, threshold);
    }

    private static void CheckArguments(int classes, double threshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (!(threshold > 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must lie in (0, 1].");
        }
    }
}
