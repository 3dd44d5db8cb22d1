namespace GanDsl.Evaluation;

/// <summary>
/// Singular values of a real matrix in double precision, without singular vectors: Householder
/// bidiagonalisation (Golub and Kahan, 1965), then the eigenvalues ±σᵢ of the Golub–Kahan
/// tridiagonal — the bidiagonal B's entries interleaved beside a zero diagonal, a perfect shuffle
/// of [[0, B], [Bᵀ, 0]] — by <see cref="SymmetricEigen.TridiagonalEigenvalues"/>. Each σᵢ is
/// accurate to about ε·σ_max in absolute terms; nothing is squared, unlike the eigenvalues of AᵀA.
/// Cost is about 4mn² − (4/3)n³ flops for m ≥ n.
/// </summary>
internal static class SingularValues
{
    /// <summary>The min(rows, columns) singular values, descending, of the row-major <paramref name="matrix"/>.</summary>
    /// <exception cref="ArgumentException">The length is not rows × columns, or an entry is NaN or infinite.</exception>
    public static double[] Compute(ReadOnlySpan<double> matrix, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (matrix.Length != (long)rows * columns)
        {
            throw new ArgumentException($"Expected {rows} × {columns} = {(long)rows * columns} entries, got {matrix.Length}.", nameof(matrix));
        }
        foreach (double x in matrix)
        {
            if (!double.IsFinite(x))
            {
                throw new ArgumentException("The matrix holds a non-finite entry.", nameof(matrix));
            }
        }
        // Work on the orientation with at least as many rows as columns.
        int m = Math.Max(rows, columns);
        int n = Math.Min(rows, columns);
        double[] work;
        if (rows >= columns)
        {
            work = matrix.ToArray();
        }
        else
        {
            work = new double[m * n];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    work[j * n + i] = matrix[i * columns + j];
                }
            }
        }
        if (n == 0)
        {
            return [];
        }

        var diagonal = new double[n];
        var superDiagonal = new double[n];
        Bidiagonalize(work, m, n, diagonal, superDiagonal);

        var tridiagonal = new double[2 * n];
        var beside = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            beside[2 * i] = diagonal[i];
            if (i + 1 < n)
            {
                beside[2 * i + 1] = superDiagonal[i];
            }
        }
        SymmetricEigen.TridiagonalEigenvalues(tridiagonal, beside);

        // Eigenvalues ascending: −σ₁ ≤ … ≤ −σₙ ≤ σₙ ≤ … ≤ σ₁; the top n are the singular values.
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = Math.Max(tridiagonal[2 * n - 1 - i], 0);
        }
        return values;
    }

    /// <summary>
    /// Reduces the row-major m × n <paramref name="a"/> (m ≥ n, overwritten) to the upper bidiagonal
    /// B = Uᵀ·A·V by alternating left reflections (zeroing column k below the diagonal) and right
    /// reflections (zeroing row k beyond the superdiagonal); B's diagonal goes to
    /// <paramref name="diagonal"/>, its superdiagonal to <paramref name="superDiagonal"/>[0..n−2].
    /// </summary>
    private static void Bidiagonalize(double[] a, int m, int n, Span<double> diagonal, Span<double> superDiagonal)
    {
        var u = new double[m];
        var y = new double[n];
        for (int k = 0; k < n; k++)
        {
            // Left: column k, rows k.. ; A[k.., k+1..] −= β u (uᵀ A[k.., k+1..]).
            int height = m - k;
            int width = n - k - 1;
            Span<double> column = u.AsSpan(0, height);
            for (int i = 0; i < height; i++)
            {
                column[i] = a[(k + i) * n + k];
            }
            double beta = Householder.MakeReflector(column, out double alpha);
            diagonal[k] = alpha;
            if (beta != 0 && width > 0)
            {
                Span<double> projection = y.AsSpan(0, width);
                projection.Clear();
                for (int i = 0; i < height; i++)
                {
                    DenseKernels.AddScaled(column[i], a.AsSpan((k + i) * n + k + 1, width), projection);
                }
                for (int i = 0; i < height; i++)
                {
                    DenseKernels.AddScaled(-beta * column[i], projection, a.AsSpan((k + i) * n + k + 1, width));
                }
            }
            if (width == 0)
            {
                break;
            }

            // Right: row k, columns k+1.. ; A[k+1.., k+1..] −= β (A[k+1.., k+1..] v) vᵀ.
            Span<double> row = a.AsSpan(k * n + k + 1, width);
            beta = Householder.MakeReflector(row, out alpha);
            superDiagonal[k] = alpha;
            if (beta == 0)
            {
                continue;
            }
            for (int i = k + 1; i < m; i++)
            {
                Span<double> target = a.AsSpan(i * n + k + 1, width);
                double s = beta * DenseKernels.Dot(target, row);
                if (s != 0)
                {
                    DenseKernels.AddScaled(-s, row, target);
                }
            }
        }
    }
}
