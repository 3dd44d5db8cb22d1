using GanDsl.Evaluation;
using static GanDsl.Tests.Metrics.MetricsTestData;

namespace GanDsl.Tests.Metrics;

/// <summary>The Householder + implicit QL eigensolver: reconstruction, orthogonality, known spectra, degenerate inputs.</summary>
public sealed class SymmetricEigenTests
{
    public static TheoryData<int> Sizes => new() { 1, 2, 7, 64, 200 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RandomSymmetricMatricesAreReconstructedByOrthonormalEigenvectors(int n)
    {
        var a = RandomSymmetric(n, seed: 100 + n);
        var (values, vectors) = Decompose(a, n);

        double scale = Math.Max(1, a.Max(Math.Abs));
        Assert.True(ReconstructionError(a, values, vectors, n) <= 1e-10 * scale);
        Assert.True(OrthogonalityError(vectors, n) <= 1e-10);
        AssertAscending(values);
    }

    [Fact]
    public void KnownSpectrumIsRecovered()
    {
        double[] spectrum = [-3, -1e-3, 0, 0.5, 2, 7, 100];
        var a = WithSpectrum(spectrum, seed: 7);
        var (values, vectors) = Decompose(a, spectrum.Length);

        for (int i = 0; i < spectrum.Length; i++)
        {
            Assert.Equal(spectrum[i], values[i], 1e-12 * 100);
        }
        Assert.True(ReconstructionError(a, values, vectors, spectrum.Length) <= 1e-12 * 100);
        Assert.True(OrthogonalityError(vectors, spectrum.Length) <= 1e-12);
    }

    [Fact]
    public void EigenvectorsSatisfyTheirEquation()
    {
        const int n = 40;
        var a = RandomSymmetric(n, seed: 5);
        var (values, vectors) = Decompose(a, n);
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int k = 0; k < n; k++)
                {
                    av += a[i * n + k] * vectors[j * n + k];
                }
                Assert.Equal(values[j] * vectors[j * n + i], av, 1e-11);
            }
        }
    }

    [Fact]
    public void RepeatedEigenvaluesStillGiveAnOrthonormalBasis()
    {
        double[] spectrum = [1, 1, 1, 2, 2, 5, 5, 5, 5, -4, -4, 0, 0];
        int n = spectrum.Length;
        var a = WithSpectrum(spectrum, seed: 11);
        var (values, vectors) = Decompose(a, n);

        var sorted = spectrum.Order().ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(sorted[i], values[i], 1e-12 * 5);
        }
        Assert.True(ReconstructionError(a, values, vectors, n) <= 1e-12 * 5);
        Assert.True(OrthogonalityError(vectors, n) <= 1e-12);
    }

    [Fact]
    public void MultipleOfTheIdentityKeepsTheStandardBasis()
    {
        const int n = 9;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] = 2.5;
        }
        var (values, vectors) = Decompose(a, n);
        Assert.All(values, v => Assert.Equal(2.5, v));
        Assert.True(OrthogonalityError(vectors, n) <= 1e-15);
        Assert.True(ReconstructionError(a, values, vectors, n) <= 1e-15);
    }

    [Fact]
    public void ZeroMatrixHasZeroEigenvaluesAndOrthonormalVectors()
    {
        const int n = 16;
        var (values, vectors) = Decompose(new double[n * n], n);
        Assert.All(values, v => Assert.Equal(0, v));
        Assert.True(OrthogonalityError(vectors, n) <= 1e-15);
    }

    [Fact]
    public void DiagonalMatrixEigenvaluesAreItsSortedDiagonal()
    {
        double[] diagonal = [3, -1, 4, 1, -5, 9, 2, 6];
        int n = diagonal.Length;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] = diagonal[i];
        }
        var (values, vectors) = Decompose(a, n);
        Assert.Equal(diagonal.Order(), values);
        Assert.True(ReconstructionError(a, values, vectors, n) == 0);
    }

    [Fact]
    public void TwoByTwoMatchesTheClosedForm()
    {
        // [[a, b], [b, c]]: (a + c)/2 ± √(((a − c)/2)² + b²).
        const double a = 2, b = -3, c = 0.5;
        var (values, _) = Decompose([a, b, b, c], 2);
        double mid = (a + c) / 2;
        double radius = Math.Sqrt((a - c) * (a - c) / 4 + b * b);
        Assert.Equal(mid - radius, values[0], 1e-14);
        Assert.Equal(mid + radius, values[1], 1e-14);
    }

    [Fact]
    public void RankDeficientMatrixHasExactZerosToRounding()
    {
        // A rank-3 Gram matrix of size 30: 27 eigenvalues are zero.
        const int n = 30;
        var random = new Random(3);
        var rows = new double[3 * n];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = Gaussian(random);
        }
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < 3; k++)
                {
                    a[i * n + j] += rows[k * n + i] * rows[k * n + j];
                }
            }
        }
        var (values, vectors) = Decompose(a, n);
        double top = values[^1];
        for (int i = 0; i < n - 3; i++)
        {
            Assert.True(Math.Abs(values[i]) <= 1e-13 * top, $"eigenvalue {i} is {values[i]}");
        }
        Assert.True(values[n - 3] > 1e-3 * top);
        Assert.True(ReconstructionError(a, values, vectors, n) <= 1e-12 * top);
    }

    [Fact]
    public void EigenvaluesOnlyMatchTheFullDecomposition()
    {
        const int n = 50;
        var a = RandomSymmetric(n, seed: 9);
        var (values, _) = Decompose(a, n);
        var only = new double[n];
        SymmetricEigen.Eigenvalues(a, n, only);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(values[i], only[i], 1e-12);
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Eigenvalues(new double[5], 2, new double[2]));
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Eigenvalues([1, double.NaN, double.NaN, 1], 2, new double[2]));
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose([1, 0, 0, 1], 2, new double[2], new double[3]));
    }

    private static (double[] Values, double[] Vectors) Decompose(double[] a, int n)
    {
        var values = new double[n];
        var vectors = new double[n * n];
        SymmetricEigen.Decompose(a, n, values, vectors);
        return (values, vectors);
    }

    // max |A − Vᵀ diag(w) V| with eigenvectors as the rows of V.
    private static double ReconstructionError(double[] a, double[] values, double[] vectors, int n)
    {
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++)
                {
                    s += vectors[k * n + i] * values[k] * vectors[k * n + j];
                }
                worst = Math.Max(worst, Math.Abs(a[i * n + j] - s));
            }
        }
        return worst;
    }

    // max |V Vᵀ − I|.
    private static double OrthogonalityError(double[] vectors, int n)
    {
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++)
                {
                    s += vectors[i * n + k] * vectors[j * n + k];
                }
                worst = Math.Max(worst, Math.Abs(s - (i == j ? 1 : 0)));
            }
        }
        return worst;
    }

    private static void AssertAscending(double[] values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            Assert.True(values[i - 1] <= values[i]);
        }
    }
}
