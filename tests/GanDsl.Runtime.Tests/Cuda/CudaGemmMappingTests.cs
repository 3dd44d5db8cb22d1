using GanDsl.Cuda;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// The row-major to column-major mapping of GEMMs onto cuBLAS, checked without a GPU: the call
/// <see cref="CudaGemm.Map"/> makes, evaluated with cuBLAS's column-major semantics on the row-major
/// arrays, gives the row-major product.
/// </summary>
public sealed class CudaGemmMappingTests
{
    [Theory]
    [InlineData(4, 3, 5, false, false)]
    [InlineData(4, 3, 5, true, false)]
    [InlineData(4, 3, 5, false, true)]
    [InlineData(4, 3, 5, true, true)]
    [InlineData(1, 7, 2, false, true)]
    [InlineData(6, 1, 3, true, false)]
    [InlineData(2, 2, 1, true, true)]
    public void ColumnMajorCallComputesTheRowMajorProduct(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var random = new Random(m * 100 + n * 10 + k);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.Next(-4, 5)).ToArray();
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        var a = Values(aRows * aCols);
        var b = Values(bRows * bCols);
        var c = Values(m * n);

        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float x = transposeA ? a[p * aCols + i] : a[i * aCols + p];
                    float y = transposeB ? b[j * bCols + p] : b[p * bCols + j];
                    sum += x * y;
                }

                expected[i * n + j] = sum + 2 * c[i * n + j];
            }
        }

        var call = CudaGemm.Map(aCols, transposeA, bCols, transposeB, m, n, k);
        Assert.True(call.FirstIsB);
        Assert.Equal((n, m, k), (call.M, call.N, call.K));
        CublasSemantics(call, b, a, c, beta: 2);
        Assert.Equal(expected, c);
    }

    /// <summary>
    /// What cuBLAS computes for <paramref name="call"/> on column-major arrays, in plain loops.
    /// </summary>
    private static void CublasSemantics(CublasGemm call, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> c, float beta)
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
