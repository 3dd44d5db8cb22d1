namespace GanDsl.Evaluation;

/// <summary>
/// A square-root factor of a symmetric positive semidefinite covariance Σ: the d × r matrix
/// F = V·diag(√wᵢ) over the r eigenpairs (wᵢ, vᵢ) of Σ with wᵢ &gt; d·ε·w_max, so that Σ = F·Fᵀ up to
/// rounding. Smaller eigenvalues, negative ones included, are what exact zeros look like after
/// rounding (rank deficiency) and are dropped. Stored zero-padded for
/// <see cref="DenseKernels.MultiplyTransposedAdd"/>.
/// </summary>
internal sealed class CovarianceFactor
{
    // 2⁻⁵², the spacing of doubles at 1.
    private const double MachineEpsilon = 2.220446049250313e-16;

    private CovarianceFactor(double[] padded, int dimension, int rank)
    {
        Padded = padded;
        Dimension = dimension;
        Rank = rank;
    }

    /// <summary>F, row-major, <see cref="PaddedDimension"/> × <see cref="PaddedRank"/>, zero outside d × r.</summary>
    public double[] Padded { get; }

    /// <summary>d, the rows of F.</summary>
    public int Dimension { get; }

    /// <summary>r, the number of positive eigenvalues kept.</summary>
    public int Rank { get; }

    /// <summary>d rounded up by <see cref="DenseKernels.Pad"/>.</summary>
    public int PaddedDimension => DenseKernels.Pad(Dimension);

    /// <summary>r rounded up by <see cref="DenseKernels.Pad"/>.</summary>
    public int PaddedRank => DenseKernels.Pad(Rank);

    /// <summary>Factors the symmetric d × d row-major <paramref name="covariance"/>.</summary>
    public static CovarianceFactor Create(ReadOnlySpan<double> covariance, int dimension)
    {
        int d = dimension;
        var values = new double[d];
        var vectors = new double[d * d];
        SymmetricEigen.Decompose(covariance, d, values, vectors);
        // Eigenvalues at or below d·ε·w_max are rounding noise around zero (numpy.linalg.matrix_rank's
        // default tolerance): an exactly singular covariance, such as one from fewer rows than
        // features or with constant features, shows its zero eigenvalues this way.
        double cutoff = d * MachineEpsilon * Math.Max(values[d - 1], 0);
        int first = 0;
        while (first < d && !(values[first] > cutoff))
        {
            first++;
        }
        int rank = d - first;
        int dp = DenseKernels.Pad(d);
        int rp = DenseKernels.Pad(rank);
        var padded = new double[dp * rp];
        for (int i = 0; i < rank; i++)
        {
            double root = Math.Sqrt(values[first + i]);
            ReadOnlySpan<double> vector = vectors.AsSpan((first + i) * d, d);
            for (int k = 0; k < d; k++)
            {
                padded[k * rp + i] = root * vector[k];
            }
        }
        return new CovarianceFactor(padded, d, rank);
    }
}
