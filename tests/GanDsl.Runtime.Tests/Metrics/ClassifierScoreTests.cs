using GanDsl.Evaluation;

namespace GanDsl.Tests.Metrics;

/// <summary>The classifier (Inception-style) score on sets whose score is known by hand.</summary>
public sealed class ClassifierScoreTests
{
    [Fact]
    public void ConfidentPredictionsSpreadEvenlyScoreTheClassCount()
    {
        var p = OneHot(Enumerable.Range(0, 200).Select(k => k % 10).ToArray(), 10);
        Assert.Equal(10, ClassifierScore.Compute(p, 200, 10), 1e-12);
    }

    [Fact]
    public void ConfidentPredictionsOfOneClassScoreOne()
    {
        var p = OneHot(Enumerable.Repeat(4, 50).ToArray(), 10);
        Assert.Equal(1, ClassifierScore.Compute(p, 50, 10));
    }

    [Fact]
    public void UniformPredictionsScoreOne()
    {
        var p = Enumerable.Repeat(0.1f, 30 * 10).ToArray();
        Assert.Equal(1, ClassifierScore.Compute(p, 30, 10), 1e-12);
    }

    [Fact]
    public void TwoClassExampleMatchesHandComputation()
    {
        // p(y|x) = [1, 0] and [½, ½]: p(y) = [¾, ¼];
        // KL₁ = ln(4/3), KL₂ = ½ ln(⅔) + ½ ln 2 = ½ ln(4/3); mean ¾ ln(4/3), so the score is (4/3)^¾.
        float[] p = [1, 0, 0.5f, 0.5f];
        Assert.Equal(Math.Pow(4.0 / 3.0, 0.75), ClassifierScore.Compute(p, 2, 2), 1e-14);
    }

    [Fact]
    public void MatchesTheEntropyForm()
    {
        // exp(H(p(y)) − mean H(p(y|x))) on random softmax rows.
        const int rows = 64, classes = 10;
        var random = new Random(5);
        var p = new float[rows * classes];
        var normalized = new double[rows * classes];
        for (int k = 0; k < rows; k++)
        {
            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                p[k * classes + j] = (float)Math.Exp(3 * random.NextDouble() * (j == k % classes ? 2 : 1));
                sum += p[k * classes + j];
            }
            for (int j = 0; j < classes; j++)
            {
                p[k * classes + j] = (float)(p[k * classes + j] / sum);
            }
            double rowSum = 0;
            for (int j = 0; j < classes; j++)
            {
                rowSum += p[k * classes + j];
            }
            for (int j = 0; j < classes; j++)
            {
                normalized[k * classes + j] = p[k * classes + j] / rowSum;
            }
        }
        var marginal = new double[classes];
        double conditionalEntropy = 0;
        for (int k = 0; k < rows; k++)
        {
            for (int j = 0; j < classes; j++)
            {
                double q = normalized[k * classes + j];
                marginal[j] += q / rows;
                conditionalEntropy -= q * Math.Log(q) / rows;
            }
        }
        double marginalEntropy = -marginal.Sum(q => q * Math.Log(q));
        double score = ClassifierScore.Compute(p, rows, classes);
        Assert.Equal(Math.Exp(marginalEntropy - conditionalEntropy), score, 1e-12);
        Assert.InRange(score, 1, classes);
    }

    [Fact]
    public void SplitsReportMeanAndPopulationStandardDeviation()
    {
        // First half one class (score 1), second half two classes evenly (score 2).
        var p = OneHot([0, 0, 0, 0, 0, 1, 0, 1], 2);
        var splits = ClassifierScore.ComputeSplits(p, 8, 2, splits: 2);
        Assert.Equal([1.0, 2.0], splits.Scores.Select(s => Math.Round(s, 12)));
        Assert.Equal(1.5, splits.Mean, 1e-12);
        Assert.Equal(0.5, splits.StandardDeviation, 1e-12);
    }

    [Fact]
    public void UnevenSplitsUseFloorBoundaries()
    {
        // 7 rows in 3 splits: [0, 2), [2, 4), [4, 7).
        var p = OneHot([0, 1, 0, 0, 0, 1, 1], 2);
        var splits = ClassifierScore.ComputeSplits(p, 7, 2, splits: 3);
        double third = Math.Exp(-(1.0 / 3) * Math.Log(1.0 / 3) - (2.0 / 3) * Math.Log(2.0 / 3));
        Assert.Equal(2, splits.Scores[0], 1e-12);
        Assert.Equal(1, splits.Scores[1], 1e-12);
        Assert.Equal(third, splits.Scores[2], 1e-12);

        var single = ClassifierScore.ComputeSplits(p, 7, 2, splits: 1);
        Assert.Equal(ClassifierScore.Compute(p, 7, 2), single.Mean);
        Assert.Equal(0, single.StandardDeviation);
    }

    [Fact]
    public void RowsAreRenormalised()
    {
        // Float softmax rows that sum to 1 ± 1e-6 score as their exact counterparts.
        float[] exact = [1, 0, 0.5f, 0.5f];
        float[] rounded = [0.999999f, 0, 0.5000004f, 0.5f];
        Assert.Equal(ClassifierScore.Compute(exact, 2, 2), ClassifierScore.Compute(rounded, 2, 2), 1e-6);
    }

    [Fact]
    public void RejectsInputsThatAreNotDistributions()
    {
        Assert.Throws<ArgumentException>(() => ClassifierScore.Compute([2.5f, -1.0f], 1, 2));
        Assert.Throws<ArgumentException>(() => ClassifierScore.Compute([3f, 1f], 1, 2));
        Assert.Throws<ArgumentException>(() => ClassifierScore.Compute([float.NaN, 1f], 1, 2));
        Assert.Throws<ArgumentException>(() => ClassifierScore.Compute([0.5f, 0.5f], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierScore.Compute([1f], 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierScore.ComputeSplits([1f, 0f], 1, 2, splits: 2));
    }

    internal static float[] OneHot(int[] classes, int classCount)
    {
        var p = new float[classes.Length * classCount];
        for (int k = 0; k < classes.Length; k++)
        {
            p[k * classCount + classes[k]] = 1;
        }
        return p;
    }
}
