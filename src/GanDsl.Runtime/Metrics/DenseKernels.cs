using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GanDsl.Evaluation;

/// <summary>
/// The double-precision building blocks of the metrics: dot products, row updates and plane
/// rotations on contiguous spans, and one register-tiled product C += Aᵀ·B, all on
/// <see cref="Vector{T}"/>. Results depend only on the inputs and the vector width, never on
/// thread timing: parallel loops split work by output tile and each tile sums in a fixed order.
/// </summary>
internal static class DenseKernels
{
    /// <summary>Rows of C computed together by <see cref="MultiplyTransposedAdd"/>.</summary>
    public const int TileRows = 4;

    /// <summary>
    /// The multiple that padded dimensions round up to: two vectors wide (8 doubles with AVX2),
    /// which is also a multiple of <see cref="TileRows"/>.
    /// </summary>
    public static int PadUnit { get; } = Math.Max(TileRows, 2 * Vector<double>.Count);

    // Below this many multiply-adds a product runs on the calling thread.
    private const long ParallelThreshold = 1L << 22;

    /// <summary>Rounds <paramref name="n"/> up to a multiple of <see cref="PadUnit"/>.</summary>
    public static int Pad(int n) => (n + PadUnit - 1) / PadUnit * PadUnit;

    /// <summary>Σ a[i]·b[i] over the common length.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = Math.Min(a.Length, b.Length);
        int w = Vector<double>.Count;
        ref double ra = ref MemoryMarshal.GetReference(a);
        ref double rb = ref MemoryMarshal.GetReference(b);
        var s0 = Vector<double>.Zero;
        var s1 = Vector<double>.Zero;
        int i = 0;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            s0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref ra, (nuint)i), Vector.LoadUnsafe(ref rb, (nuint)i), s0);
            s1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref ra, (nuint)(i + w)), Vector.LoadUnsafe(ref rb, (nuint)(i + w)), s1);
        }
        double sum = Vector.Sum(s0 + s1);
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /// <summary>y[i] += alpha·x[i] over the length of <paramref name="y"/>.</summary>
    public static void AddScaled(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        int n = y.Length;
        if (x.Length < n)
        {
            throw new ArgumentException("x is shorter than y.", nameof(x));
        }
        int w = Vector<double>.Count;
        ref double rx = ref MemoryMarshal.GetReference(x);
        ref double ry = ref MemoryMarshal.GetReference(y);
        var va = new Vector<double>(alpha);
        int i = 0;
        for (; i + w <= n; i += w)
        {
            Vector.FusedMultiplyAdd(va, Vector.LoadUnsafe(ref rx, (nuint)i), Vector.LoadUnsafe(ref ry, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>y[i] -= a·u[i] + b·v[i] over the length of <paramref name="y"/>: one row of a symmetric rank-2 update.</summary>
    public static void SubtractTwoScaled(double a, ReadOnlySpan<double> u, double b, ReadOnlySpan<double> v, Span<double> y)
    {
        int n = y.Length;
        if (u.Length < n || v.Length < n)
        {
            throw new ArgumentException("u or v is shorter than y.");
        }
        int w = Vector<double>.Count;
        ref double ru = ref MemoryMarshal.GetReference(u);
        ref double rv = ref MemoryMarshal.GetReference(v);
        ref double ry = ref MemoryMarshal.GetReference(y);
        var va = new Vector<double>(a);
        var vb = new Vector<double>(b);
        int i = 0;
        for (; i + w <= n; i += w)
        {
            var t = Vector.FusedMultiplyAdd(va, Vector.LoadUnsafe(ref ru, (nuint)i), vb * Vector.LoadUnsafe(ref rv, (nuint)i));
            (Vector.LoadUnsafe(ref ry, (nuint)i) - t).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++)
        {
            y[i] -= a * u[i] + b * v[i];
        }
    }

    /// <summary>
    /// The plane rotation (x, y) ← (c·x − s·y, s·x + c·y), applied element by element to two
    /// rows of equal length.
    /// </summary>
    public static void Rotate(Span<double> x, Span<double> y, double c, double s)
    {
        int n = x.Length;
        if (y.Length != n)
        {
            throw new ArgumentException("Rows differ in length.");
        }
        int w = Vector<double>.Count;
        ref double rx = ref MemoryMarshal.GetReference(x);
        ref double ry = ref MemoryMarshal.GetReference(y);
        var vc = new Vector<double>(c);
        var vs = new Vector<double>(s);
        int i = 0;
        for (; i + w <= n; i += w)
        {
            var xi = Vector.LoadUnsafe(ref rx, (nuint)i);
            var yi = Vector.LoadUnsafe(ref ry, (nuint)i);
            (vc * xi - vs * yi).StoreUnsafe(ref rx, (nuint)i);
            (vs * xi + vc * yi).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++)
        {
            double xi = x[i];
            double yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    /// <summary>
    /// C += Aᵀ·B for row-major A (p × m), B (p × n) and C (m × n), where m is a multiple of
    /// <see cref="TileRows"/> and n a multiple of <see cref="PadUnit"/> (callers zero-pad).
    /// With <paramref name="upperOnly"/> only tiles that reach the diagonal or lie right of it
    /// are computed, enough for a symmetric product whose lower triangle the caller mirrors.
    /// Large products split their row tiles over threads; every tile is summed over k in order.
    /// </summary>
    public static void MultiplyTransposedAdd(double[] a, double[] b, double[] c, int p, int m, int n, bool upperOnly)
    {
        int w = Vector<double>.Count;
        if (m % TileRows != 0 || n % (2 * w) != 0)
        {
            throw new ArgumentException("Product dimensions must be padded.");
        }
        if (a.Length < (long)p * m || b.Length < (long)p * n || c.Length < (long)m * n)
        {
            throw new ArgumentException("A buffer is smaller than its dimensions.");
        }
        int tiles = m / TileRows;
        long work = (long)p * m * n / (upperOnly ? 2 : 1);
        if (work < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            for (int t = 0; t < tiles; t++)
            {
                RowTile(a, b, c, p, m, n, t * TileRows, upperOnly);
            }
        }
        else
        {
            Parallel.For(0, tiles, t => RowTile(a, b, c, p, m, n, t * TileRows, upperOnly));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile(double[] a, double[] b, double[] c, int p, int m, int n, int i0, bool upperOnly)
    {
        int w = Vector<double>.Count;
        int step = 2 * w;
        int jStart = upperOnly ? i0 / step * step : 0;
        ref double ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref double rb = ref MemoryMarshal.GetArrayDataReference(b);
        ref double rc = ref MemoryMarshal.GetArrayDataReference(c);
        for (int j0 = jStart; j0 < n; j0 += step)
        {
            Vector<double> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector<double> c20 = default, c21 = default, c30 = default, c31 = default;
            nuint aOffset = (nuint)i0;
            nuint bOffset = (nuint)j0;
            for (int k = 0; k < p; k++)
            {
                var b0 = Vector.LoadUnsafe(ref rb, bOffset);
                var b1 = Vector.LoadUnsafe(ref rb, bOffset + (nuint)w);
                var a0 = new Vector<double>(Unsafe.Add(ref ra, aOffset));
                var a1 = new Vector<double>(Unsafe.Add(ref ra, aOffset + 1));
                var a2 = new Vector<double>(Unsafe.Add(ref ra, aOffset + 2));
                var a3 = new Vector<double>(Unsafe.Add(ref ra, aOffset + 3));
                c00 = Vector.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector.FusedMultiplyAdd(a0, b1, c01);
                c10 = Vector.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector.FusedMultiplyAdd(a1, b1, c11);
                c20 = Vector.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector.FusedMultiplyAdd(a2, b1, c21);
                c30 = Vector.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector.FusedMultiplyAdd(a3, b1, c31);
                aOffset += (nuint)m;
                bOffset += (nuint)n;
            }
            nuint row = (nuint)i0 * (nuint)n + (nuint)j0;
            Accumulate(ref rc, row, c00, c01, w);
            Accumulate(ref rc, row + (nuint)n, c10, c11, w);
            Accumulate(ref rc, row + 2 * (nuint)n, c20, c21, w);
            Accumulate(ref rc, row + 3 * (nuint)n, c30, c31, w);
        }
    }

    private static void Accumulate(ref double c, nuint offset, Vector<double> v0, Vector<double> v1, int w)
    {
        (Vector.LoadUnsafe(ref c, offset) + v0).StoreUnsafe(ref c, offset);
        (Vector.LoadUnsafe(ref c, offset + (nuint)w) + v1).StoreUnsafe(ref c, offset + (nuint)w);
    }
}
