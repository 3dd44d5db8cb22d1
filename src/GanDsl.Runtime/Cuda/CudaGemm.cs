namespace GanDsl.Cuda;

/// <summary>
/// One cuBLAS SGEMM call, column-major as cuBLAS takes it: <c>C = op(First) op(Second) + beta C</c> with
/// (<see cref="M"/>, <see cref="N"/>) the shape of C, <see cref="K"/> the inner size and the leading dimensions.
/// </summary>
internal readonly record struct CublasGemm(bool TransposeFirst, bool TransposeSecond, int M, int N, int K, bool FirstIsB, int LdFirst, int LdSecond, int LdC);

/// <summary>
/// Row-major GEMMs on cuBLAS. A row-major (r, c) matrix is the column-major (c, r) matrix with leading
/// dimension c, so <c>C = op(A) op(B)</c> row-major is <c>C^T = op(B)^T op(A)^T</c> column-major: cuBLAS
/// is called with B first, A second, the transposes as given, and C's shape swapped. No data moves.
/// </summary>
internal static class CudaGemm
{
    /// <summary>The cuBLAS call for row-major <c>C (m, n) = op(A) op(B)</c>, A stored (aRows, aCols), B stored (bRows, bCols).</summary>
    public static CublasGemm Map(int aCols, bool transposeA, int bCols, bool transposeB, int m, int n, int k) =>
        new(TransposeFirst: transposeB, TransposeSecond: transposeA, M: n, N: m, K: k, FirstIsB: true,
            LdFirst: Math.Max(1, bCols), LdSecond: Math.Max(1, aCols), LdC: Math.Max(1, n));

    /// <summary>
    /// What cuBLAS computes for <paramref name="call"/> on column-major arrays, in plain loops: the
    /// reference the tests check <see cref="Map"/> against (no GPU needed).
    /// </summary>
    public static void Reference(CublasGemm call, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> c, float beta)
    {
        for (int j = 0; j < call.N; j++)
        {
            for (int i = 0; i < call.M; i++)
            {
                double sum = 0;
                for (int p = 0; p < call.K; p++)
                {
                    float x = call.TransposeFirst ? first[p + i * call.LdFirst] : first[i + p * call.LdFirst];
                    float y = call.TransposeSecond ? second[j + p * call.LdSecond] : second[p + j * call.LdSecond];
                    sum += (double)x * y;
                }

                int at = i + j * call.LdC;
                c[at] = (float)(sum + (beta == 0 ? 0 : beta * (double)c[at]));
            }
        }
    }
}
