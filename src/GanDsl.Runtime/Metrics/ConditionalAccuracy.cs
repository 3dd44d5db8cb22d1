namespace GanDsl.Evaluation;

/// <summary>
/// How often a conditional generator draws the digit it was asked for, as judged by the classifier:
/// the fraction of samples whose argmax class equals the requested label, overall and per requested
/// class, with the full confusion table.
/// </summary>
/// <remarks>
/// Accuracy = #{ x : argmax p(y|x) = label(x) } / n. Per class c it is the same fraction over the
/// samples requested as c, and NaN for a class never requested. The classifier's own test-set
/// accuracy bounds what a perfect generator can reach.
/// </remarks>
public sealed class ConditionalAccuracy
{
    private readonly int[] _confusion;
    private readonly int[] _requested;
    private readonly int[] _correct;
    private readonly double[] _perClass;

    private ConditionalAccuracy(int[] confusion, int classes)
    {
        _confusion = confusion;
        ClassCount = classes;
        _requested = new int[classes];
        _correct = new int[classes];
        _perClass = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            for (int p = 0; p < classes; p++)
            {
                _requested[c] += confusion[c * classes + p];
            }
            _correct[c] = confusion[c * classes + c];
            _perClass[c] = _requested[c] == 0 ? double.NaN : (double)_correct[c] / _requested[c];
            SampleCount += _requested[c];
            CorrectCount += _correct[c];
        }
        Accuracy = (double)CorrectCount / SampleCount;
    }

    /// <summary>n, the number of samples.</summary>
    public int SampleCount { get; }

    /// <summary>The number of samples classified as the class requested.</summary>
    public int CorrectCount { get; }

    /// <summary>K, the number of classes.</summary>
    public int ClassCount { get; }

    /// <summary><see cref="CorrectCount"/> / <see cref="SampleCount"/>.</summary>
    public double Accuracy { get; }

    /// <summary>How many samples requested each class.</summary>
    public IReadOnlyList<int> RequestedCounts => _requested;

    /// <summary>How many samples requested as each class were classified as it.</summary>
    public IReadOnlyList<int> CorrectCounts => _correct;

    /// <summary>The accuracy over the samples requested as each class; NaN for a class never requested.</summary>
    public IReadOnlyList<double> PerClassAccuracy => _perClass;

    /// <summary>How many samples requested as <paramref name="requested"/> were classified as <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside [0, <see cref="ClassCount"/>).</exception>
    public int Confusion(int requested, int predicted)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)requested, (uint)ClassCount, nameof(requested));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)predicted, (uint)ClassCount, nameof(predicted));
        return _confusion[requested * ClassCount + predicted];
    }

    /// <summary>
    /// Each requested class's most-read class (the lowest of a tie; class 0 for a class never requested), and the purity:
    /// the share of samples read as their requested class's most-read class. Near 1 for a generator that maps each class
    /// to one class, even a wrong one (InfoGAN's categories, a translation that permutes the digits); about 1/K by chance.
    /// </summary>
    public (double Purity, int[] MostRead) Purity()
    {
        var mostRead = new int[ClassCount];
        long pure = 0;
        for (int c = 0; c < ClassCount; c++)
        {
            for (int p = 1; p < ClassCount; p++)
            {
                mostRead[c] = Confusion(c, p) > Confusion(c, mostRead[c]) ? p : mostRead[c];
            }

            pure += Confusion(c, mostRead[c]);
        }

        return (SampleCount == 0 ? 0 : (double)pure / SampleCount, mostRead);
    }

    /// <summary>
    /// The accuracy of <paramref name="rows"/> samples from the classifier's outputs (a rows × classes
    /// row-major matrix) against the labels each was generated for. Only each row's argmax is used (the
    /// first on ties), so probabilities and logits give the same result.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No rows, fewer than 2 classes, or a label out of range.</exception>
    /// <exception cref="ArgumentException">The length is not rows × classes, the label count is not rows, or a value is NaN or infinite.</exception>
    public static ConditionalAccuracy FromProbabilities(ReadOnlySpan<float> probabilities, int rows, int classes, ReadOnlySpan<int> requestedLabels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        MetricArguments.CheckMatrix(probabilities, rows, classes, minimumRows: 1, nameof(probabilities));
        CheckRequested(requestedLabels, rows, classes);
        var confusion = new int[classes * classes];
        for (int k = 0; k < rows; k++)
        {
            confusion[requestedLabels[k] * classes + MetricArguments.ArgMax(probabilities.Slice(k * classes, classes))]++;
        }
        return new ConditionalAccuracy(confusion, classes);
    }

    /// <summary>The accuracy of predicted classes against requested ones, both in [0, classes) and of equal length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No samples, fewer than 2 classes, or a label out of range.</exception>
    /// <exception cref="ArgumentException">The two spans differ in length.</exception>
    public static ConditionalAccuracy FromPredictions(ReadOnlySpan<int> predicted, ReadOnlySpan<int> requestedLabels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfZero(predicted.Length, nameof(predicted));
        MetricArguments.CheckLabels(predicted, classes, nameof(predicted));
        CheckRequested(requestedLabels, predicted.Length, classes);
        var confusion = new int[classes * classes];
        for (int k = 0; k < predicted.Length; k++)
        {
            confusion[requestedLabels[k] * classes + predicted[k]]++;
        }
        return new ConditionalAccuracy(confusion, classes);
    }

    private static void CheckRequested(ReadOnlySpan<int> requestedLabels, int rows, int classes)
    {
        if (requestedLabels.Length != rows)
        {
            throw new ArgumentException($"Expected {rows} labels, got {requestedLabels.Length}.", nameof(requestedLabels));
        }
        MetricArguments.CheckLabels(requestedLabels, classes, nameof(requestedLabels));
    }
}
