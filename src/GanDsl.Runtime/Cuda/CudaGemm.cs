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
}
