using GanDsl.Evaluation;
using static GanDsl.Tests.Metrics.ClassifierScoreTests;

namespace GanDsl.Tests.Metrics;

/// <summary>Class shares, covered classes and share entropy on hand-built sets.</summary>
public sealed class ClassCoverageTests
{
    [Fact]
    public void CollapsedSetCoversOneClass()
    {
        var coverage = ClassCoverage.FromProbabilities(OneHot(Enumerable.Repeat(3, 100).ToArray(), 10), 100, 10);
        Assert.Equal(1, coverage.CoveredClasses);
        Assert.Equal(100, coverage.SampleCount);
        Assert.Equal(10, coverage.ClassCount);
        Assert.Equal(1, coverage.Shares[3]);
        Assert.Equal(100, coverage.Counts[3]);
        Assert.Equal(0, coverage.Shares.Sum() - coverage.Shares[3]);
        Assert.Equal(0, coverage.Entropy);
        Assert.Equal(0, coverage.NormalizedEntropy);
    }

    [Fact]
    public void EvenSetCoversAllClassesAtMaximumEntropy()
    {
        var coverage = ClassCoverage.FromProbabilities(OneHot(Enumerable.Range(0, 500).Select(k => k % 10).ToArray(), 10), 500, 10);
        Assert.Equal(10, coverage.CoveredClasses);
        Assert.All(coverage.Shares, s => Assert.Equal(0.1, s, 1e-15));
        Assert.Equal(Math.Log(10), coverage.Entropy, 1e-14);
        Assert.Equal(1, coverage.NormalizedEntropy, 1e-14);
    }

    [Fact]
    public void ThresholdIsInclusiveAndAdjustable()
    {
        // 1000 samples: 985 of class 0, 10 of class 1 (exactly 1%), 5 of class 2 (0.5%), none of the rest.
        var labels = Enumerable.Repeat(0, 985).Concat(Enumerable.Repeat(1, 10)).Concat(Enumerable.Repeat(2, 5)).ToArray();
        var coverage = ClassCoverage.FromPredictions(labels, 10);
        Assert.Equal(ClassCoverage.DefaultThreshold, coverage.Threshold);
        Assert.Equal(2, coverage.CoveredClasses);
        Assert.Equal(3, ClassCoverage.FromPredictions(labels, 10, threshold: 0.005).CoveredClasses);
        Assert.Equal(1, ClassCoverage.FromPredictions(labels, 10, threshold: 0.5).CoveredClasses);

        double expected = -(0.985 * Math.Log(0.985) + 0.01 * Math.Log(0.01) + 0.005 * Math.Log(0.005));
        Assert.Equal(expected, coverage.Entropy, 1e-14);
        Assert.Equal(expected / Math.Log(10), coverage.NormalizedEntropy, 1e-14);
    }

    [Fact]
    public void ArgmaxTakesTheFirstOfTiesAndIgnoresScale()
    {
        // Probabilities and logits with the same argmax give the same shares.
        float[] probabilities = [0.4f, 0.4f, 0.2f, 0.1f, 0.2f, 0.7f, 0.3f, 0.6f, 0.1f];
        float[] logits = [2f, 2f, -1f, -3f, 0f, 5f, 1f, 4f, -2f];
        var fromProbabilities = ClassCoverage.FromProbabilities(probabilities, 3, 3);
        var fromLogits = ClassCoverage.FromProbabilities(logits, 3, 3);
        Assert.Equal([1, 1, 1], fromProbabilities.Counts);
        Assert.Equal(fromProbabilities.Counts, fromLogits.Counts);
        Assert.Equal(ClassCoverage.FromPredictions([0, 2, 1], 3).Shares, fromProbabilities.Shares);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassCoverage.FromPredictions([0, 10], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassCoverage.FromPredictions([], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassCoverage.FromPredictions([0], 10, threshold: 0));
        Assert.Throws<ArgumentException>(() => ClassCoverage.FromProbabilities([0f, float.PositiveInfinity], 1, 2));
        Assert.Throws<ArgumentException>(() => ClassCoverage.FromProbabilities([0f, 1f, 0f], 2, 2));
    }
}
