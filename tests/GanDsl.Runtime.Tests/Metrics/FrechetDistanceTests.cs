using GanDsl.Evaluation;
using static GanDsl.Tests.Metrics.MetricsTestData;

namespace GanDsl.Tests.Metrics;

/// <summary>The Fréchet distance against closed forms, an independent matrix square root, and degenerate inputs.</summary>
public sealed class FrechetDistanceTests
{
    [Fact]
    public void IdenticalSetsAreAtDistanceZero()
    {
        const int rows = 400, d = 48;
        var features = CorrelatedFeatures(rows, d, seed: 1, offset: 3);
        var a = FeatureStatistics.FromFeatures(features, rows, d);
        var b = FeatureStatistics.FromFeatures(features, rows, d);

        double scale = a.CovarianceTrace + b.CovarianceTrace;
        Assert.InRange(FrechetDistance.ComputeUnclamped(a, b), -1e-8 * scale, 1e-8 * scale);
        Assert.InRange(FrechetDistance.ComputeUnclamped(a, a), -1e-8 * scale, 1e-8 * scale);
        Assert.InRange(FrechetDistance.Compute(features, rows, features, rows, d), 0, 1e-8 * scale);
    }

    [Theory]
    [InlineData(2000, 48, 1e-6)]
    [InlineData(500, 32, 1e-3)]
    public void IllConditionedIdenticalSetsStayNearZero(int rows, int d, double smallestDeviation)
    {
        // Standard deviations falling geometrically from 1 to smallestDeviation along random
        // directions: variances spanning 1e-12. Square roots of eigenvalues of Σ^½ Σ Σ^½ would lose
        // the small ones (errors near 1e-8 of the trace); singular values of F₁ᵀF₂ do not.
        var random = new Random(rows + d);
        var q = RandomOrthogonal(d, seed: d);
        var x = new float[rows * d];
        for (int k = 0; k < rows; k++)
        {
            for (int i = 0; i < d; i++)
            {
                double z = Gaussian(random) * Math.Pow(smallestDeviation, (double)i / (d - 1));
                for (int j = 0; j < d; j++)
                {
                    x[k * d + j] += (float)(z * q[j * d + i]);
                }
            }
        }
        var a = FeatureStatistics.FromFeatures(x, rows, d);
        var b = FeatureStatistics.FromFeatures(x, rows, d);
        double scale = a.CovarianceTrace + b.CovarianceTrace;
        Assert.InRange(FrechetDistance.ComputeUnclamped(a, b), -1e-12 * scale, 1e-12 * scale);
    }

    [Fact]
    public void DiagonalGaussiansMatchTheClosedForm()
    {
        // FD = |μ₁ − μ₂|² + Σᵢ (s₁ᵢ + s₂ᵢ − 2√(s₁ᵢ s₂ᵢ)) for diagonal covariances.
        const int d = 21;
        var random = new Random(2);
        var mu1 = new double[d];
        var mu2 = new double[d];
        var s1 = new double[d];
        var s2 = new double[d];
        double expected = 0;
        for (int i = 0; i < d; i++)
        {
            mu1[i] = Gaussian(random);
            mu2[i] = Gaussian(random);
            s1[i] = 0.1 + 3 * random.NextDouble();
            s2[i] = i % 5 == 0 ? 0 : 0.1 + 3 * random.NextDouble();
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + s1[i] + s2[i] - 2 * Math.Sqrt(s1[i] * s2[i]);
        }
        var a = FeatureStatistics.FromMoments(mu1, Diagonal(s1));
        var b = FeatureStatistics.FromMoments(mu2, Diagonal(s2));

        Assert.Equal(expected, FrechetDistance.Compute(a, b), 1e-11 * expected);
        Assert.Equal(expected, FrechetDistance.Compute(b, a), 1e-11 * expected);
    }

    [Fact]
    public void LargeSamplesOfDiagonalGaussiansApproachTheClosedForm()
    {
        const int rows = 20_000, d = 4;
        double[] mu1 = [0, 1, -1, 2], sd1 = [1, 2, 0.5, 1];
        double[] mu2 = [1, 1, 0, 0], sd2 = [1.5, 1, 0.5, 3];
        var random = new Random(8);
        var x = new float[rows * d];
        var y = new float[rows * d];
        for (int k = 0; k < rows; k++)
        {
            for (int i = 0; i < d; i++)
            {
                x[k * d + i] = (float)(mu1[i] + sd1[i] * Gaussian(random));
                y[k * d + i] = (float)(mu2[i] + sd2[i] * Gaussian(random));
            }
        }
        double expected = 0;
        for (int i = 0; i < d; i++)
        {
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (sd1[i] - sd2[i]) * (sd1[i] - sd2[i]);
        }
        // expected = 6 + 1.5 = 7.5; the sampling error at 20,000 rows is a few hundredths.
        Assert.Equal(expected, FrechetDistance.Compute(x, rows, y, rows, d), 0.15);
    }

    [Fact]
    public void NonDiagonalCovariancesMatchDenmanBeaversSquareRoot()
    {
        const int d = 6;
        var s1 = RandomCovariance(d, seed: 21);
        var s2 = RandomCovariance(d, seed: 22);
        var mu1 = new double[d];
        var mu2 = Enumerable.Range(0, d).Select(i => 0.3 * i).ToArray();

        double traceRoot = TraceOfSquareRootDenmanBeavers(Multiply(s1, s2, d), d);
        double expected = mu2.Sum(m => m * m);
        for (int i = 0; i < d; i++)
        {
            expected += s1[i * d + i] + s2[i * d + i];
        }
        expected -= 2 * traceRoot;

        double actual = FrechetDistance.Compute(FeatureStatistics.FromMoments(mu1, s1), FeatureStatistics.FromMoments(mu2, s2));
        Assert.Equal(expected, actual, 1e-10 * expected);
    }

    [Fact]
    public void TwoByTwoMatchesTheClosedForm()
    {
        // For M = Σ₁Σ₂ (2 × 2, positive eigenvalues λ₁, λ₂): tr √M = √λ₁ + √λ₂ = √(tr M + 2√det M).
        double[] s1 = [2, 0.7, 0.7, 1];
        double[] s2 = [0.5, -0.2, -0.2, 3];
        var m = Multiply(s1, s2, 2);
        double traceRoot = Math.Sqrt(m[0] + m[3] + 2 * Math.Sqrt(m[0] * m[3] - m[1] * m[2]));
        double expected = 1 + 4 + (2 + 1) + (0.5 + 3) - 2 * traceRoot;

        double actual = FrechetDistance.Compute(FeatureStatistics.FromMoments([1, 0], s1), FeatureStatistics.FromMoments([0, 2], s2));
        Assert.Equal(expected, actual, 1e-13 * expected);
    }

    [Fact]
    public void DistanceIsSymmetric()
    {
        const int d = 40;
        var x = CorrelatedFeatures(300, d, seed: 31);
        var y = CorrelatedFeatures(500, d, seed: 32, offset: 0.2);
        double xy = FrechetDistance.Compute(x, 300, y, 500, d);
        double yx = FrechetDistance.Compute(y, 500, x, 300, d);
        Assert.True(xy > 0.1);
        Assert.Equal(xy, yx, 1e-10 * xy);
    }

    [Fact]
    public void ShiftedCopyIsAtTheSquaredShift()
    {
        const int rows = 200, d = 19;
        var x = CorrelatedFeatures(rows, d, seed: 41);
        var y = new float[x.Length];
        double shiftSquared = 0;
        for (int j = 0; j < d; j++)
        {
            shiftSquared += 0.25 * j * j;
        }
        for (int k = 0; k < rows; k++)
        {
            for (int j = 0; j < d; j++)
            {
                y[k * d + j] = x[k * d + j] + 0.5f * j;
            }
        }
        // The float sums round, so the two covariances agree only to float precision.
        Assert.Equal(shiftSquared, FrechetDistance.Compute(x, rows, y, rows, d), 1e-4 * shiftSquared);
    }

    [Fact]
    public void FewerRowsThanFeaturesGiveFiniteNonNegativeDistances()
    {
        const int d = 64;
        var x = CorrelatedFeatures(10, d, seed: 51);
        var y = CorrelatedFeatures(7, d, seed: 52);
        double xy = FrechetDistance.Compute(x, 10, y, 7, d);
        double yx = FrechetDistance.Compute(y, 7, x, 10, d);
        Assert.True(double.IsFinite(xy) && xy > 0);
        Assert.Equal(xy, yx, 1e-9 * xy);

        var a = FeatureStatistics.FromFeatures(x, 10, d);
        double self = FrechetDistance.ComputeUnclamped(a, FeatureStatistics.FromFeatures(x, 10, d));
        Assert.InRange(self, -1e-8 * a.CovarianceTrace, 1e-8 * a.CovarianceTrace);
    }

    [Fact]
    public void ConstantFeaturesAreHandled()
    {
        const int rows = 50, d = 12;
        var x = CorrelatedFeatures(rows, d, seed: 61);
        var y = CorrelatedFeatures(rows, d, seed: 62);
        for (int k = 0; k < rows; k++)
        {
            // Columns 0 and 5 constant in both sets (dead ReLUs), at different values.
            x[k * d] = 0;
            y[k * d] = 1;
            x[k * d + 5] = 2;
            y[k * d + 5] = 2;
        }
        double distance = FrechetDistance.Compute(x, rows, y, rows, d);
        Assert.True(double.IsFinite(distance) && distance >= 1);

        // All rows identical: both covariances vanish and only the means differ.
        var same = Enumerable.Repeat(1.5f, rows * d).ToArray();
        var other = Enumerable.Repeat(-0.5f, rows * d).ToArray();
        Assert.Equal(4.0 * d, FrechetDistance.Compute(same, rows, other, rows, d), 1e-12);
        Assert.Equal(0, FrechetDistance.Compute(same, rows, same, rows, d));
    }

    [Fact]
    public void RankDeficientMomentsMatchTheClosedForm()
    {
        // Σ₁ = diag(1, 0, 0), Σ₂ = diag(4, 9, 0): FD = (1 + 4 − 2·2) + 9 = 10.
        var a = FeatureStatistics.FromMoments([0, 0, 0], Diagonal([1, 0, 0]));
        var b = FeatureStatistics.FromMoments([0, 0, 0], Diagonal([4, 9, 0]));
        Assert.Equal(10, FrechetDistance.Compute(a, b), 1e-13);
        Assert.Equal(10, FrechetDistance.Compute(b, a), 1e-13);
    }

    [Fact]
    public void StatisticsMatchANaiveTwoPassComputation()
    {
        const int rows = 37, d = 13;
        var x = CorrelatedFeatures(rows, d, seed: 71, offset: 100);
        var stats = FeatureStatistics.FromFeatures(x, rows, d);
        Assert.Equal(rows, stats.SampleCount);
        Assert.Equal(d, stats.Dimension);

        var mean = new double[d];
        for (int j = 0; j < d; j++)
        {
            for (int k = 0; k < rows; k++)
            {
                mean[j] += x[k * d + j];
            }
            mean[j] /= rows;
            Assert.Equal(mean[j], stats.Mean[j], 1e-12 * 100);
        }
        double trace = 0;
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double c = 0;
                for (int k = 0; k < rows; k++)
                {
                    c += (x[k * d + i] - mean[i]) * (x[k * d + j] - mean[j]);
                }
                c /= rows - 1;
                Assert.Equal(c, stats.Covariance[i * d + j], 1e-11);
                if (i == j)
                {
                    trace += c;
                }
            }
        }
        Assert.Equal(trace, stats.CovarianceTrace, 1e-11);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var x = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureStatistics.FromFeatures(x, 1, 12));
        Assert.Throws<ArgumentException>(() => FeatureStatistics.FromFeatures(x, 2, 5));
        x[7] = float.NaN;
        Assert.Throws<ArgumentException>(() => FeatureStatistics.FromFeatures(x, 3, 4));
        Assert.Throws<ArgumentException>(() => FeatureStatistics.FromMoments([0, 0], new double[3]));
        var a = FeatureStatistics.FromMoments([0, 0], Diagonal([1, 1]));
        var b = FeatureStatistics.FromMoments([0, 0, 0], Diagonal([1, 1, 1]));
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(a, b));
    }

    private static double[] Diagonal(double[] values)
    {
        int n = values.Length;
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            m[i * n + i] = values[i];
        }
        return m;
    }
}
