namespace GanDsl.Evaluation;

/// <summary>
/// The mean μ and sample covariance Σ of a set of feature vectors, in double precision: the
/// Gaussian that <see cref="FrechetDistance"/> compares. Compute the reference set's statistics
/// once and reuse them for every evaluation.
/// </summary>
/// <remarks>
/// For n rows xₖ of dimension d: μ = (1/n) Σₖ xₖ and Σ = (1/(n − 1)) Σₖ (xₖ − μ)(xₖ − μ)ᵀ, the
/// unbiased estimate that numpy.cov and the reference FID code (Heusel et al. 2017) use. The
/// features are centred in double precision before the products are summed, so large offsets do
/// not cancel. Instances are immutable and safe to share between threads.
/// </remarks>
public sealed class FeatureStatistics
{
    // Rows converted to double and centred per block before their products are summed.
    private const int BlockRows = 256;

    private readonly double[] _mean;
    private readonly double[] _covariance;
    private CovarianceFactor? _factor;

    private FeatureStatistics(double[] mean, double[] covariance, int sampleCount)
    {
        _mean = mean;
        _covariance = covariance;
        SampleCount = sampleCount;
        double trace = 0;
        for (int i = 0; i < mean.Length; i++)
        {
            trace += covariance[i * mean.Length + i];
        }
        CovarianceTrace = trace;
    }

    /// <summary>d, the number of features.</summary>
    public int Dimension => _mean.Length;

    /// <summary>The number of rows the statistics were computed from; 0 for <see cref="FromMoments"/>.</summary>
    public int SampleCount { get; }

    /// <summary>μ, of length <see cref="Dimension"/>.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Σ, symmetric, d × d row-major.</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <summary>tr Σ, the total variance.</summary>
    public double CovarianceTrace { get; }

    /// <summary>
    /// The statistics of <paramref name="rows"/> feature vectors of length <paramref name="columns"/>,
    /// stored row-major in <paramref name="features"/> (row k at [k·columns, (k+1)·columns)).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 rows, or no columns.</exception>
    /// <exception cref="ArgumentException">The length is not rows × columns, or a value is NaN or infinite.</exception>
    public static FeatureStatistics FromFeatures(ReadOnlySpan<float> features, int rows, int columns)
    {
        MetricArguments.CheckMatrix(features, rows, columns, minimumRows: 2, nameof(features));
        int d = columns;
        var mean = new double[d];
        for (int k = 0; k < rows; k++)
        {
            ReadOnlySpan<float> row = features.Slice(k * d, d);
            for (int j = 0; j < d; j++)
            {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++)
        {
            mean[j] /= rows;
        }

        // Σₖ (xₖ − μ)(xₖ − μ)ᵀ as Xcᵀ·Xc, one block of centred rows at a time, upper triangle only.
        int dp = DenseKernels.Pad(d);
        var sums = new double[dp * dp];
        var block = new double[Math.Min(BlockRows, rows) * dp];
        for (int start = 0; start < rows; start += BlockRows)
        {
            int count = Math.Min(BlockRows, rows - start);
            for (int k = 0; k < count; k++)
            {
                ReadOnlySpan<float> row = features.Slice((start + k) * d, d);
                Span<double> centred = block.AsSpan(k * dp, d);
                for (int j = 0; j < d; j++)
                {
                    centred[j] = row[j] - mean[j];
                }
            }
            DenseKernels.MultiplyTransposedAdd(block, block, sums, count, dp, dp, upperOnly: true);
        }
        var covariance = new double[d * d];
        double scale = 1.0 / (rows - 1);
        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                double c = sums[i * dp + j] * scale;
                covariance[i * d + j] = c;
                covariance[j * d + i] = c;
            }
        }
        return new FeatureStatistics(mean, covariance, rows);
    }

    /// <summary>
    /// Statistics given directly: a mean of length d and a d × d row-major covariance, which should
    /// be symmetric positive semidefinite. It is stored symmetrised, as (Σ + Σᵀ)/2; eigenvalues
    /// below zero are treated as zero by <see cref="FrechetDistance"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The mean is empty, the covariance is not d × d, or an entry is NaN or infinite.</exception>
    public static FeatureStatistics FromMoments(ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance)
    {
        int d = mean.Length;
        if (d == 0)
        {
            throw new ArgumentException("The mean is empty.", nameof(mean));
        }
        if (covariance.Length != (long)d * d)
        {
            throw new ArgumentException($"Expected a {d} × {d} covariance ({(long)d * d} values), got {covariance.Length}.", nameof(covariance));
        }
        foreach (double x in mean)
        {
            if (!double.IsFinite(x))
            {
                throw new ArgumentException("The mean holds a non-finite entry.", nameof(mean));
            }
        }
        var symmetric = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double c = 0.5 * (covariance[i * d + j] + covariance[j * d + i]);
                if (!double.IsFinite(c))
                {
                    throw new ArgumentException("The covariance holds a non-finite entry.", nameof(covariance));
                }
                symmetric[i * d + j] = c;
            }
        }
        return new FeatureStatistics(mean.ToArray(), symmetric, 0);
    }

    /// <summary>Σ = F·Fᵀ, computed on first use and kept: reference statistics pay for it once.</summary>
    internal CovarianceFactor Factor
    {
        get
        {
            var factor = Volatile.Read(ref _factor);
            if (factor is null)
            {
                factor = CovarianceFactor.Create(_covariance, Dimension);
                factor = Interlocked.CompareExchange(ref _factor, factor, null) ?? factor;
            }
            return factor;
        }
    }
}
