using GanDsl.Evaluation;
using static GanDsl.Tests.Metrics.MetricsTestData;

namespace GanDsl.Tests.Metrics;

/// <summary>Singular values by Householder bidiagonalisation and the Golub–Kahan tridiagonal.</summary>
public sealed class SingularValuesTests
{
    [Theory]
    [InlineData(7, 4)]
    [InlineData(4, 7)]
    [InlineData(5, 5)]
    [InlineData(1, 6)]
    [InlineData(6, 1)]
    public void KnownSingularValuesAreRecovered(int rows, int columns)
    {
        // A = U·diag(σ)·Vᵀ with random orthogonal U, V.
        int k = Math.Min(rows, columns);
        var sigma = Enumerable.Range(0, k).Select(i => i == k - 1 && k > 2 ? 0 : 5.0 / (i + 1)).ToArray();
        var u = RandomOrthogonal(rows, seed: rows);
        var v = RandomOrthogonal(columns, seed: 100 + columns);
        var a = new double[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                for (int s = 0; s < k; s++)
                {
                    a[i * columns + j] += u[i * rows + s] * sigma[s] * v[j * columns + s];
                }
            }
        }
        var values = SingularValues.Compute(a, rows, columns);
        Assert.Equal(k, values.Length);
        for (int i = 0; i < k; i++)
        {
            Assert.Equal(sigma[i], values[i], 1e-13 * 5);
        }
    }

    [Fact]
    public void MatchSquareRootsOfTheGramEigenvaluesOnRandomMatrices()
    {
        const int rows = 30, columns = 18;
        var random = new Random(4);
        var a = Enumerable.Range(0, rows * columns).Select(_ => Gaussian(random)).ToArray();
        var gram = new double[columns * columns];
        for (int i = 0; i < columns; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                for (int r = 0; r < rows; r++)
                {
                    gram[i * columns + j] += a[r * columns + i] * a[r * columns + j];
                }
            }
        }
        var eigenvalues = new double[columns];
        SymmetricEigen.Eigenvalues(gram, columns, eigenvalues);
        var values = SingularValues.Compute(a, rows, columns);
        for (int i = 0; i < columns; i++)
        {
            Assert.Equal(Math.Sqrt(eigenvalues[columns - 1 - i]), values[i], 1e-12);
        }
        Assert.Equal(values, SingularValues.Compute(Transpose(a, rows, columns), columns, rows), (x, y) => Math.Abs(x - y) <= 1e-12);
    }

    [Fact]
    public void RepeatedAndZeroSingularValues()
    {
        // An orthogonal matrix: every singular value is 1.
        Assert.All(SingularValues.Compute(RandomOrthogonal(40, seed: 6), 40, 40), s => Assert.Equal(1, s, 1e-13));

        // A rank-2 50 × 30 product: two nonzero singular values, 28 zeros to rounding.
        var random = new Random(12);
        var left = Enumerable.Range(0, 50 * 2).Select(_ => Gaussian(random)).ToArray();
        var right = Enumerable.Range(0, 2 * 30).Select(_ => Gaussian(random)).ToArray();
        var a = new double[50 * 30];
        for (int i = 0; i < 50; i++)
        {
            for (int j = 0; j < 30; j++)
            {
                a[i * 30 + j] = left[i * 2] * right[j] + left[i * 2 + 1] * right[30 + j];
            }
        }
        var values = SingularValues.Compute(a, 50, 30);
        Assert.True(values[1] > 1e-3 * values[0]);
        Assert.All(values.Skip(2), s => Assert.True(s <= 1e-13 * values[0], $"{s}"));
    }

    [Fact]
    public void ZeroAndEmptyMatrices()
    {
        Assert.All(SingularValues.Compute(new double[12], 3, 4), s => Assert.Equal(0, s));
        Assert.Empty(SingularValues.Compute([], 0, 3));
        Assert.Equal(3, Assert.Single(SingularValues.Compute([-3], 1, 1)), 1e-15);
    }

    private static double[] Transpose(double[] a, int rows, int columns)
    {
        var t = new double[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                t[j * rows + i] = a[i * columns + j];
            }
        }
        return t;
    }
}
