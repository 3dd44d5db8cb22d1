namespace GanDsl.Tests.Metrics;

/// <summary>Seeded random matrices and plain double-precision linear algebra for the metric tests, independent of the library's kernels.</summary>
internal static class MetricsTestData
{
    /// <summary>A random symmetric n × n matrix with entries in [−1, 1].</summary>
    public static double[] RandomSymmetric(int n, int seed)
    {
        var random = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double x = 2 * random.NextDouble() - 1;
                a[i * n + j] = x;
                a[j * n + i] = x;
            }
        }
        return a;
    }

    /// <summary>A random orthogonal n × n matrix: modified Gram–Schmidt on Gaussian columns, twice for full precision.</summary>
    public static double[] RandomOrthogonal(int n, int seed)
    {
        var random = new Random(seed);
        var q = new double[n * n];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = Gaussian(random);
        }
        for (int pass = 0; pass < 2; pass++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++)
                    {
                        dot += q[i * n + j] * q[i * n + k];
                    }
                    for (int i = 0; i < n; i++)
                    {
                        q[i * n + j] -= dot * q[i * n + k];
                    }
                }
                double norm = 0;
                for (int i = 0; i < n; i++)
                {
                    norm += q[i * n + j] * q[i * n + j];
                }
                norm = Math.Sqrt(norm);
                for (int i = 0; i < n; i++)
                {
                    q[i * n + j] /= norm;
                }
            }
        }
        return q;
    }

    /// <summary>Q·diag(λ)·Qᵀ for a random orthogonal Q: a symmetric matrix with exactly the spectrum λ.</summary>
    public static double[] WithSpectrum(double[] spectrum, int seed)
    {
        int n = spectrum.Length;
        var q = RandomOrthogonal(n, seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++)
                {
                    s += q[i * n + k] * spectrum[k] * q[j * n + k];
                }
                a[i * n + j] = s;
            }
        }
        return a;
    }

    /// <summary>A random symmetric positive definite n × n matrix M·Mᵀ + shift·I.</summary>
    public static double[] RandomCovariance(int n, int seed, double shift = 0.1)
    {
        var random = new Random(seed);
        var m = new double[n * n];
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = Gaussian(random);
        }
        var c = Multiply(m, Transpose(m, n), n);
        for (int i = 0; i < n; i++)
        {
            c[i * n + i] += shift;
        }
        return c;
    }

    /// <summary>
    /// rows samples of a correlated d-dimensional Gaussian, row-major float: xₖ = offset + zₖ·M with
    /// zₖ standard normal and M random d × d.
    /// </summary>
    public static float[] CorrelatedFeatures(int rows, int d, int seed, double offset = 0)
    {
        var random = new Random(seed);
        var mixing = new double[d * d];
        for (int i = 0; i < mixing.Length; i++)
        {
            mixing[i] = Gaussian(random) / Math.Sqrt(d);
        }
        var features = new float[rows * d];
        var z = new double[d];
        for (int k = 0; k < rows; k++)
        {
            for (int i = 0; i < d; i++)
            {
                z[i] = Gaussian(random);
            }
            for (int j = 0; j < d; j++)
            {
                double s = offset;
                for (int i = 0; i < d; i++)
                {
                    s += z[i] * mixing[i * d + j];
                }
                features[k * d + j] = (float)s;
            }
        }
        return features;
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Gaussian(Random random)
    {
        double u = 1 - random.NextDouble();
        double v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>The n × n product a·b.</summary>
    public static double[] Multiply(double[] a, double[] b, int n)
    {
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < n; k++)
            {
                double aik = a[i * n + k];
                for (int j = 0; j < n; j++)
                {
                    c[i * n + j] += aik * b[k * n + j];
                }
            }
        }
        return c;
    }

    /// <summary>The transpose of the n × n matrix a.</summary>
    public static double[] Transpose(double[] a, int n)
    {
        var t = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                t[j * n + i] = a[i * n + j];
            }
        }
        return t;
    }

    /// <summary>The inverse of the n × n matrix a, by Gauss–Jordan elimination with partial pivoting.</summary>
    public static double[] Inverse(double[] a, int n)
    {
        var m = (double[])a.Clone();
        var inv = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            inv[i * n + i] = 1;
        }
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
            {
                if (Math.Abs(m[r * n + col]) > Math.Abs(m[pivot * n + col]))
                {
                    pivot = r;
                }
            }
            if (pivot != col)
            {
                for (int j = 0; j < n; j++)
                {
                    (m[col * n + j], m[pivot * n + j]) = (m[pivot * n + j], m[col * n + j]);
                    (inv[col * n + j], inv[pivot * n + j]) = (inv[pivot * n + j], inv[col * n + j]);
                }
            }
            double diag = m[col * n + col];
            for (int j = 0; j < n; j++)
            {
                m[col * n + j] /= diag;
                inv[col * n + j] /= diag;
            }
            for (int r = 0; r < n; r++)
            {
                double f = m[r * n + col];
                if (r == col || f == 0)
                {
                    continue;
                }
                for (int j = 0; j < n; j++)
                {
                    m[r * n + j] -= f * m[col * n + j];
                    inv[r * n + j] -= f * inv[col * n + j];
                }
            }
        }
        return inv;
    }

    /// <summary>
    /// tr √M for a matrix M with positive real eigenvalues, by the Denman–Beavers iteration
    /// Y ← (Y + Z⁻¹)/2, Z ← (Z + Y⁻¹)/2 from Y = M, Z = I, which converges to Y = √M.
    /// </summary>
    public static double TraceOfSquareRootDenmanBeavers(double[] m, int n)
    {
        var y = (double[])m.Clone();
        var z = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            z[i * n + i] = 1;
        }
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var yInverse = Inverse(y, n);
            var zInverse = Inverse(z, n);
            double change = 0;
            for (int i = 0; i < n * n; i++)
            {
                double next = 0.5 * (y[i] + zInverse[i]);
                change = Math.Max(change, Math.Abs(next - y[i]));
                y[i] = next;
                z[i] = 0.5 * (z[i] + yInverse[i]);
            }
            if (change < 1e-15 * n)
            {
                break;
            }
        }
        double trace = 0;
        for (int i = 0; i < n; i++)
        {
            trace += y[i * n + i];
        }
        return trace;
    }
}
