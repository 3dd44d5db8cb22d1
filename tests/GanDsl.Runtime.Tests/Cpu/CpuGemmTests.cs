using System.Runtime.InteropServices;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Cpu;

public sealed class CpuGemmTests : IDisposable
{
    private readonly WorkerPool _pool1 = new(1);
    private readonly WorkerPool _pool2 = new(2);
    private readonly WorkerPool _pool3 = new(3);

    public void Dispose()
    {
        _pool1.Dispose();
        _pool2.Dispose();
        _pool3.Dispose();
    }

    /// <summary>
    /// One problem: stored A, B and C with their leading dimensions, random contents, and a double-precision
    /// reference with the error bound to hold it to.
    /// </summary>
    private sealed unsafe class Problem
    {
        public readonly bool TransA, TransB;
        public readonly int M, N, K, Lda, Ldb, Ldc;
        public readonly float Alpha, Beta;
        public readonly float[] A, B, C0;

        public Problem(bool transA, bool transB, int m, int n, int k, float alpha = 1f, float beta = 0f, int pad = 0, int seed = 1)
        {
            (TransA, TransB, M, N, K, Alpha, Beta) = (transA, transB, m, n, k, alpha, beta);
            Lda = (transA ? m : k) + pad;
            Ldb = (transB ? k : n) + pad;
            Ldc = n + pad;
            var rng = new Random(seed);
            A = Fill(rng, (transA ? k : m) * Math.Max(Lda, 1));
            B = Fill(rng, (transB ? n : k) * Math.Max(Ldb, 1));
            C0 = Fill(rng, m * Ldc);
        }

        private static float[] Fill(Random rng, int length)
        {
            var x = new float[length];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)(rng.NextDouble() * 2 - 1);
            }

            return x;
        }

        public float OpA(int i, int p) => TransA ? A[p * Lda + i] : A[i * Lda + p];

        public float OpB(int p, int j) => TransB ? B[j * Ldb + p] : B[p * Ldb + j];

        public float[] Run(CpuGemm gemm, float[]? c = null)
        {
            c ??= (float[])C0.Clone();
            fixed (float* a = A, b = B, pc = c)
            {
                gemm.Multiply(TransA, TransB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, pc, Ldc);
            }

            return c;
        }

        /// <summary>
        /// Checks every element against the exact (double) result. Any summation order of k products in float errs
        /// by at most about k·2⁻²⁴·Σ|a||b|; the bound allows twice that plus the alpha and beta roundings:
        /// |c − ref| ≤ (k + 4)·2⁻²³·(|alpha|·Σ_p|a_ip||b_pj| + |beta|·|c0|).
        /// </summary>
        public void AssertMatchesReference(float[] c, string label)
        {
            double unit = Math.Pow(2, -23);
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double prod = (double)OpA(i, p) * OpB(p, j);
                        sum += prod;
                        magnitude += Math.Abs(prod);
                    }

                    double old = C0[i * Ldc + j];
                    double expected = Alpha * sum + (Beta == 0f ? 0 : Beta * old);
                    double tolerance = (K + 4) * unit * (Math.Abs(Alpha) * magnitude + Math.Abs(Beta) * Math.Abs(old)) + 1e-30;
                    double actual = c[i * Ldc + j];
                    if (!(Math.Abs(actual - expected) <= tolerance))
                    {
                        Assert.Fail($"{label}: C[{i},{j}] = {actual}, expected {expected} ± {tolerance}");
                    }
                }

                // Columns past n in a padded C are not C's: they must be left alone.
                for (int j = N; j < Ldc; j++)
                {
                    Assert.Equal(C0[i * Ldc + j], c[i * Ldc + j]);
                }
            }
        }
    }

    /// <summary>(m, n, k) sizes around the tile (6 x 16) and K block (256) edges, primes, ones and twos.</summary>
    private static readonly (int M, int N, int K)[] EdgeShapes =
    {
        (1, 1, 1), (1, 17, 3), (7, 1, 5), (6, 16, 8), (5, 15, 7), (7, 17, 9), (12, 32, 16), (13, 33, 31),
        (6, 8, 1), (11, 9, 2), (18, 24, 255), (19, 40, 256), (23, 47, 257), (6, 16, 512), (31, 23, 513),
        (2, 3, 700), (37, 41, 43), (61, 7, 97), (7, 61, 97), (97, 101, 103),

        // Skinny products big enough to be split across threads.
        (2, 300, 200), (600, 1, 300), (300, 200, 2),
    };

    /// <summary>The seed GAN's training-step products at batch 64 (D runs 2B rows), as (m, n, k) per transpose pair.</summary>
    private static readonly (bool TransA, bool TransB, int M, int N, int K)[] GanShapes =
    {
        (false, true, 64, 256, 100), (false, true, 64, 784, 256), (false, true, 128, 100, 784),
        (false, true, 128, 50, 100), (false, true, 128, 1, 50),
        (true, false, 256, 100, 64), (true, false, 784, 256, 64), (true, false, 100, 784, 128),
        (true, false, 50, 100, 128), (true, false, 1, 50, 128),
        (false, false, 64, 256, 784), (false, false, 128, 100, 50), (false, false, 64, 784, 100), (false, false, 128, 50, 1),
    };

    public static TheoryData<bool, bool> TransposePairs => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(TransposePairs))]
    public void Multiply_MatchesDoubleReference_AcrossEdgeShapes(bool transA, bool transB)
    {
        var gemm = new CpuGemm(_pool2);
        foreach (var (m, n, k) in EdgeShapes)
        {
            var problem = new Problem(transA, transB, m, n, k, seed: m * 1000 + n * 10 + k);
            problem.AssertMatchesReference(problem.Run(gemm), $"tA={transA} tB={transB} {m}x{n}x{k}");
        }
    }

    [Fact]
    public void Multiply_MatchesDoubleReference_OnGanShapes()
    {
        var gemm = new CpuGemm(_pool2);
        foreach (var (ta, tb, m, n, k) in GanShapes)
        {
            var problem = new Problem(ta, tb, m, n, k);
            problem.AssertMatchesReference(problem.Run(gemm), $"tA={ta} tB={tb} {m}x{n}x{k}");
        }
    }

    [Theory]
    [MemberData(nameof(TransposePairs))]
    public void Multiply_HonoursLeadingDimensionsWiderThanTheMatrix(bool transA, bool transB)
    {
        var gemm = new CpuGemm(_pool2);
        foreach (var (m, n, k) in new[] { (13, 33, 31), (50, 70, 300), (6, 16, 8) })
        {
            var problem = new Problem(transA, transB, m, n, k, alpha: 1f, beta: 0.5f, pad: 5);
            problem.AssertMatchesReference(problem.Run(gemm), $"padded tA={transA} tB={transB} {m}x{n}x{k}");
        }
    }

    [Theory]
    [MemberData(nameof(TransposePairs))]
    public void Multiply_BetaZero_NeverReadsC(bool transA, bool transB)
    {
        var gemm = new CpuGemm(_pool2);
        foreach (var (m, n, k) in new[] { (13, 33, 31), (64, 100, 600), (1, 1, 1) })
        {
            var problem = new Problem(transA, transB, m, n, k, alpha: 1.5f, beta: 0f);
            var c = new float[problem.C0.Length];
            Array.Fill(c, float.NaN);
            problem.Run(gemm, c);
            Assert.DoesNotContain(c, float.IsNaN);
            problem.AssertMatchesReference(c, $"NaN C tA={transA} tB={transB} {m}x{n}x{k}");
        }
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(-2f, 1f)]
    [InlineData(0.5f, -0.75f)]
    [InlineData(1f, 0f)]
    public void Multiply_AppliesAlphaAndBeta(float alpha, float beta)
    {
        var gemm = new CpuGemm(_pool2);
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            foreach (var (m, n, k) in new[] { (13, 33, 31), (40, 50, 600) })
            {
                var problem = new Problem(ta, tb, m, n, k, alpha, beta);
                problem.AssertMatchesReference(problem.Run(gemm), $"alpha={alpha} beta={beta} tA={ta} tB={tb} {m}x{n}x{k}");
            }
        }
    }

    [Fact]
    public void Multiply_BetaOne_AccumulatesIntoC()
    {
        var gemm = new CpuGemm(_pool2);
        var problem = new Problem(false, true, 20, 30, 40, alpha: 1f, beta: 1f);
        var c = new float[problem.C0.Length];
        problem.Run(gemm, c);
        var once = (float[])c.Clone();
        problem.Run(gemm, c);

        // Twice the product, to rounding.
        for (int i = 0; i < c.Length; i++)
        {
            Assert.Equal(2 * once[i], c[i], 1e-5f);
        }
    }

    [Fact]
    public unsafe void Multiply_KZeroOrAlphaZero_ScalesCOnly_WithoutReadingAOrB()
    {
        var gemm = new CpuGemm(_pool2);
        float[] a = { float.NaN, float.NaN, float.NaN, float.NaN };
        float[] b = { float.NaN, float.NaN, float.NaN, float.NaN };
        float[] c = { 1, 2, 3, 4 };
        fixed (float* pa = a, pb = b, pc = c)
        {
            gemm.Multiply(false, false, 2, 2, 0, 1f, pa, 1, pb, 2, 3f, pc, 2);
            Assert.Equal(new float[] { 3, 6, 9, 12 }, c);

            gemm.Multiply(false, false, 2, 2, 2, 0f, pa, 2, pb, 2, 0.5f, pc, 2);
            Assert.Equal(new float[] { 1.5f, 3, 4.5f, 6 }, c);

            Array.Fill(c, float.NaN);
            gemm.Multiply(true, true, 2, 2, 0, 1f, pa, 2, pb, 1, 0f, pc, 2);
            Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
        }
    }

    [Fact]
    public unsafe void Multiply_EmptyOutput_DoesNothing()
    {
        var gemm = new CpuGemm(_pool2);
        float[] c = { 7 };
        fixed (float* pc = c)
        {
            gemm.Multiply(false, false, 0, 5, 3, 1f, null, 3, null, 5, 0f, pc, 5);
            gemm.Multiply(false, false, 5, 0, 3, 1f, null, 3, null, 0, 0f, pc, 0);
        }

        Assert.Equal(7, c[0]);
    }

    [Fact]
    public unsafe void Multiply_RejectsBadArguments()
    {
        var gemm = new CpuGemm(_pool1);
        var buffer = new float[64];
        fixed (float* p = buffer)
        {
            float* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.Multiply(false, false, -1, 2, 2, 1f, q, 2, q, 2, 0f, q, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.Multiply(false, false, 2, 2, 2, 1f, q, 2, q, 2, 0f, q, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.Multiply(false, false, 2, 2, 3, 1f, q, 2, q, 2, 0f, q, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.Multiply(true, false, 4, 2, 3, 1f, q, 3, q, 2, 0f, q, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.Multiply(false, true, 2, 4, 3, 1f, q, 3, q, 2, 0f, q, 4));
            Assert.Throws<ArgumentNullException>(() => gemm.Multiply(false, false, 2, 2, 2, 1f, null, 2, q, 2, 0f, q, 2));
            Assert.Throws<ArgumentNullException>(() => gemm.Multiply(false, false, 2, 2, 2, 1f, q, 2, q, 2, 0f, null, 2));
        }
    }

    [Fact]
    public void Multiply_IsBitwiseIdenticalForOneTwoAndThreeThreads()
    {
        var one = new CpuGemm(_pool1);
        var two = new CpuGemm(_pool2);
        var three = new CpuGemm(_pool3);
        var shapes = GanShapes.Concat(new[]
        {
            (true, true, 97, 101, 600), (false, false, 300, 20, 257), (true, false, 30, 300, 70),
            (true, false, 2, 300, 200), (false, true, 600, 1, 300), (false, false, 300, 200, 2),
        });
        foreach (var (ta, tb, m, n, k) in shapes)
        {
            foreach (float beta in new[] { 0f, 0.25f })
            {
                var problem = new Problem(ta, tb, m, n, k, alpha: 0.7f, beta: beta);
                var expected = problem.Run(one);
                Assert.True(AsBits(expected).SequenceEqual(AsBits(problem.Run(two))), $"2 threads differ: tA={ta} tB={tb} {m}x{n}x{k}");
                Assert.True(AsBits(expected).SequenceEqual(AsBits(problem.Run(three))), $"3 threads differ: tA={ta} tB={tb} {m}x{n}x{k}");
            }
        }
    }

    private static ReadOnlySpan<int> AsBits(float[] x) => MemoryMarshal.Cast<float, int>(x);

    /// <summary>
    /// The 512-bit kernel (two column panels at once) gives the 256-bit kernel's bits, on every path: shared or own B
    /// panels, B packed just before its sweep, row panels cut by the edge, an odd panel left over, a second K block
    /// (beta 1), beta 0 with NaN in C, and per-pixel shapes of the DCGAN's direct convolutions.
    /// </summary>
    [Fact]
    public void Avx512Kernel_GivesThe256BitKernelsBits()
    {
        var wide = new CpuGemm(_pool2);
        Assert.SkipUnless(wide.UsesAvx512, "This CPU has no AVX-512: only the 256-bit kernel runs here.");
        var narrow = new CpuGemm(_pool2, forcePortable: false, allowAvx512: false);
        var wideOne = new CpuGemm(_pool1);
        var shapes = GanShapes.Concat(new[]
        {
            (false, false, 6, 32, 8), (false, false, 13, 48, 300), (true, false, 30, 80, 513), (false, true, 97, 101, 600),
            (true, true, 64, 112, 40), (false, false, 512, 64, 320), (false, false, 512, 128, 640), (true, false, 320, 128, 512),
            (false, false, 7, 1000, 9), (false, true, 300, 20, 257),
        });
        foreach (var (ta, tb, m, n, k) in shapes)
        {
            foreach (float beta in new[] { 0f, 0.25f, 1f })
            {
                var problem = new Problem(ta, tb, m, n, k, alpha: 0.7f, beta: beta, pad: 1);
                var expected = problem.Run(narrow);
                Assert.True(AsBits(expected).SequenceEqual(AsBits(problem.Run(wide))), $"512-bit kernel differs: tA={ta} tB={tb} {m}x{n}x{k} beta {beta}");
                Assert.True(AsBits(expected).SequenceEqual(AsBits(problem.Run(wideOne))), $"512-bit kernel on 1 thread differs: tA={ta} tB={tb} {m}x{n}x{k} beta {beta}");
            }
        }

        // beta 0 never reads C, NaN included.
        var nan = new Problem(false, false, 12, 64, 30, beta: 0f);
        Array.Fill(nan.C0, float.NaN);
        var fromNan = nan.Run(wide);
        Assert.DoesNotContain(fromNan, float.IsNaN);
        Assert.True(AsBits(nan.Run(narrow)).SequenceEqual(AsBits(fromNan)), "512-bit kernel differs over NaN with beta 0");
    }

    /// <summary>
    /// A product with B's rows taken from a matrix packed once (the direct convolutions' weights) gives
    /// <see cref="CpuGemm.Multiply"/>'s bits on the same rows unpacked: rows from the top, the middle and the bottom
    /// of the packed matrix, n a whole panel, a panel pair, or a cut panel (its columns past n zero in the packing), k
    /// past one K block, beta 0 (NaN in C ignored) and 1, with the 512-bit kernels and the 256-bit ones; and it refuses
    /// rows outside the packed matrix.
    /// </summary>
    [Fact]
    public unsafe void MultiplyPacked_GivesMultiplysBitsOnThePackedRows()
    {
        foreach (var gemm in new[] { new CpuGemm(_pool2), new CpuGemm(_pool1, forcePortable: false, allowAvx512: false) })
        {
            foreach (var (m, n, k, rows, row0) in new[] { (64, 64, 320, 3840, 0), (64, 64, 256, 3840, 1792), (17, 128, 640, 640, 0), (30, 40, 9, 100, 91), (256, 16, 300, 400, 37) })
            {
                var rng = new Random(m + n + k);
                float[] Values(int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
                float[] a = Values(m * (k + 3)), b = Values(rows * n);
                var packed = new float[CpuGemm.PackedFloats(rows, n)];
                Array.Fill(packed, float.NaN);
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < ((n + CpuGemm.NR - 1) / CpuGemm.NR) * CpuGemm.NR; j++)
                    {
                        packed[CpuGemm.PackedIndex(r, j, rows)] = j < n ? b[(r * n) + j] : 0f;
                    }
                }

                foreach (float beta in new[] { 0f, 1f })
                {
                    float[] c0 = Values(m * (n + 2));
                    if (beta == 0f)
                    {
                        Array.Fill(c0, float.NaN);
                    }

                    float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
                    fixed (float* pa = a, pb = b, pp = packed, pe = expected, pc = actual)
                    {
                        gemm.Multiply(false, false, m, n, k, 1f, pa, k + 3, pb + ((long)row0 * n), n, beta, pe, n + 2);
                        gemm.MultiplyPacked(m, n, k, pa, k + 3, pp, rows, row0, beta, pc, n + 2);
                    }

                    Assert.True(AsBits(expected).SequenceEqual(AsBits(actual)), $"packed B differs: {m}x{n}x{k}, rows {row0} + {k} of {rows}, beta {beta}, 512-bit {gemm.UsesAvx512}");
                }
            }

            var refused = new float[CpuGemm.PackedFloats(100, 32)];
            var output = new float[64 * 32];
            Assert.Throws<ArgumentException>(() =>
            {
                fixed (float* pp = refused, pc = output)
                {
                    gemm.MultiplyPacked(64, 32, 40, pp, 40, pp, 100, 61, 0f, pc, 32);
                }
            });
        }
    }

    [Fact]
    public void Multiply_AllocatesNothingAtSteadyState()
    {
        var gemm = new CpuGemm(_pool2);
        var problems = GanShapes.Select(s => new Problem(s.TransA, s.TransB, s.M, s.N, s.K)).ToArray();
        var outputs = problems.Select(p => new float[p.C0.Length]).ToArray();
        var handles = problems.SelectMany(p => new[] { p.A, p.B }).Concat(outputs)
            .Select(x => GCHandle.Alloc(x, GCHandleType.Pinned)).ToArray();
        try
        {
            // Warm up: buffers grow to the largest problem and the JIT settles.
            for (int rep = 0; rep < 3; rep++)
            {
                RunAll(gemm, problems, outputs);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int rep = 0; rep < 5; rep++)
            {
                RunAll(gemm, problems, outputs);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }

    private static unsafe void RunAll(CpuGemm gemm, Problem[] problems, float[][] outputs)
    {
        for (int i = 0; i < problems.Length; i++)
        {
            var p = problems[i];
            fixed (float* a = p.A, b = p.B, c = outputs[i])
            {
                gemm.Multiply(p.TransA, p.TransB, p.M, p.N, p.K, p.Alpha, a, p.Lda, b, p.Ldb, p.Beta, c, p.Ldc);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TransposePairs))]
    public void PortableKernel_MatchesDoubleReference(bool transA, bool transB)
    {
        var gemm = new CpuGemm(_pool2, forcePortable: true);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 17, 9), (13, 33, 31), (23, 47, 257), (64, 50, 100) })
        {
            var problem = new Problem(transA, transB, m, n, k, alpha: 0.5f, beta: 0.25f, pad: 3);
            problem.AssertMatchesReference(problem.Run(gemm), $"portable tA={transA} tB={transB} {m}x{n}x{k}");
        }
    }

    /// <summary>Multiplies one small problem per range with a per-worker engine on the same pool.</summary>
    private sealed class NestedGemm(WorkerPool pool, Problem problem) : IParallelBody
    {
        public readonly float[][] Results = { Array.Empty<float>(), Array.Empty<float>() };

        public void Execute(int start, int end, int worker)
        {
            for (int i = start; i < end; i++)
            {
                Results[i] = problem.Run(new CpuGemm(pool));
            }
        }
    }

    [Fact]
    public async Task Multiply_FromInsideAPoolBody_RunsInlineAndIsCorrect()
    {
        var problem = new Problem(false, true, 64, 100, 80);
        var body = new NestedGemm(_pool2, problem);
        var cancel = TestContext.Current.CancellationToken;
        await Task.Run(() => _pool2.For(2, body), cancel).WaitAsync(TimeSpan.FromSeconds(20), cancel);
        problem.AssertMatchesReference(body.Results[0], "nested 0");
        Assert.True(AsBits(body.Results[0]).SequenceEqual(AsBits(body.Results[1])));
    }
}
