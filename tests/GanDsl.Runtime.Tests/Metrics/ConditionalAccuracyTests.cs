using GanDsl.Evaluation;
using static GanDsl.Tests.Metrics.ClassifierScoreTests;

namespace GanDsl.Tests.Metrics;

/// <summary>Conditional accuracy, its per-class breakdown and confusion table on hand-built sets.</summary>
public sealed class ConditionalAccuracyTests
{
    [Fact]
    public void HandBuiltCase()
    {
        // Requested 0, 0, 1, 1, 1, 3 with 4 classes; predicted 0, 2, 1, 1, 0, 3.
        int[] requested = [0, 0, 1, 1, 1, 3];
        int[] predicted = [0, 2, 1, 1, 0, 3];
        var accuracy = ConditionalAccuracy.FromProbabilities(OneHot(predicted, 4), 6, 4, requested);

        Assert.Equal(6, accuracy.SampleCount);
        Assert.Equal(4, accuracy.CorrectCount);
        Assert.Equal(4.0 / 6, accuracy.Accuracy, 1e-15);
        Assert.Equal([2, 3, 0, 1], accuracy.RequestedCounts);
        Assert.Equal([1, 2, 0, 1], accuracy.CorrectCounts);
        Assert.Equal(0.5, accuracy.PerClassAccuracy[0]);
        Assert.Equal(2.0 / 3, accuracy.PerClassAccuracy[1], 1e-15);
        Assert.True(double.IsNaN(accuracy.PerClassAccuracy[2]));
        Assert.Equal(1, accuracy.PerClassAccuracy[3]);
        Assert.Equal(1, accuracy.Confusion(0, 2));
        Assert.Equal(1, accuracy.Confusion(1, 0));
        Assert.Equal(0, accuracy.Confusion(2, 2));
        Assert.Equal(1, accuracy.Confusion(3, 3));
    }

    [Fact]
    public void PurityMapsEachRequestedClassToItsMostReadClass()
    {
        // Requested 0 read as 2, 2, 1; requested 1 read as 0, 0; requested 2 read as 1; 3 never requested.
        var accuracy = ConditionalAccuracy.FromPredictions([2, 2, 1, 0, 0, 1], [0, 0, 0, 1, 1, 2], 4);
        var (purity, mostRead) = accuracy.Purity();
        Assert.Equal([2, 0, 1, 0], mostRead);
        Assert.Equal(5.0 / 6, purity, 1e-15); // all but the 0 read as 1
        Assert.Equal(0, accuracy.Accuracy);
        var (tied, tiedRead) = ConditionalAccuracy.FromPredictions([1, 0], [0, 0], 2).Purity();
        Assert.Equal((0.5, 0), (tied, tiedRead[0])); // a tie goes to the lower class
    }

    [Fact]
    public void PredictionsAndProbabilitiesAgree()
    {
        int[] requested = [2, 1, 0, 2];
        int[] predicted = [2, 0, 0, 1];
        var a = ConditionalAccuracy.FromPredictions(predicted, requested, 3);
        var b = ConditionalAccuracy.FromProbabilities(OneHot(predicted, 3), 4, 3, requested);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.CorrectCounts, b.CorrectCounts);
        Assert.Equal(0.5, a.Accuracy);
    }

    [Fact]
    public void CollapsedGeneratorIsRightOnlyForItsDigit()
    {
        var requested = Enumerable.Range(0, 100).Select(k => k % 10).ToArray();
        var accuracy = ConditionalAccuracy.FromPredictions(new int[100], requested, 10);
        Assert.Equal(0.1, accuracy.Accuracy, 1e-15);
        Assert.Equal(1, accuracy.PerClassAccuracy[0]);
        Assert.All(accuracy.PerClassAccuracy.Skip(1), a => Assert.Equal(0, a));
        Assert.Equal(10, accuracy.Confusion(7, 0));
    }

    [Fact]
    public void PerfectGeneratorScoresOne()
    {
        var labels = Enumerable.Range(0, 30).Select(k => k % 10).ToArray();
        var accuracy = ConditionalAccuracy.FromPredictions(labels, labels, 10);
        Assert.Equal(1, accuracy.Accuracy);
        Assert.All(accuracy.PerClassAccuracy, a => Assert.Equal(1, a));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => ConditionalAccuracy.FromPredictions([0, 1], [0], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConditionalAccuracy.FromPredictions([0, 1], [0, 2], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConditionalAccuracy.FromPredictions([], [], 2));
        Assert.Throws<ArgumentException>(() => ConditionalAccuracy.FromProbabilities([1f, 0f], 1, 2, [0, 1]));
        var accuracy = ConditionalAccuracy.FromPredictions([0], [0], 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => accuracy.Confusion(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => accuracy.Confusion(0, -1));
    }
}
