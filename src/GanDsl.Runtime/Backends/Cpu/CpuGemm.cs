using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GanDsl.Backends.Cpu;

/// <summary>
/// Single-precision matrix multiply for the CPU backend: packed panels, a register-blocked FMA micro-kernel and a
/// <see cref="WorkerPool"/> over output tiles.
/// </summary>
/// <remarks>
/// <para>
/// C is cut into tiles of <see cref="MR"/> x <see cref="NR"/>. The micro-kernel reads op(A) as panels of MR rows
/// and op(B) as panels of NR columns, walking k with a fixed stride. Where the stored layout already has that shape
/// (op(A) = Aᵀ, op(B) = B) the kernel reads the caller's matrix directly; otherwise, and for zero-padded edge
/// panels, the panel is packed first, so transposes cost nothing beyond that packing.
/// </para>
/// <para>
/// Threads split C either by column panels (each packs the B panels it alone reads, all share A) or by row panels
/// (the mirror image). K is never split and its blocking depends only on k, so every element of C goes through the
/// same operations in the same order whatever the thread count: results are bitwise identical for any
/// <see cref="WorkerPool.ThreadCount"/>.
/// </para>
/// <para>
/// Buffers grow to the largest problem seen and are then reused, so a steady stream of calls allocates nothing.
/// An instance is not safe to call from several threads at once.
/// </para>
/// </remarks>
public sealed unsafe class CpuGemm
{
    /// <summary>Rows of the micro-tile; 6 x 16 uses 12 of the 16 ymm registers as accumulators.</summary>
    internal const int MR = 6;

    /// <summary>Columns of the micro-tile: two 8-float vectors.</summary>
    internal const int NR = 16;

    /// <summary>Most k per block: keeps a B micro-panel (KC x 16 floats, 16 KB) resident in L1 while A streams from L2.</summary>
    private const int KcMax = 256;

    /// <summary>Bytes of shared panels swept per own panel: a K block of them stays in L2 (512 KB) across own panels.</summary>
    private const int SharedChunkBytes = 256 * 1024;

    /// <summary>Below this many multiply-adds the dispatch costs more than a second thread saves.</summary>
    private const long ParallelThreshold = 64 * 1024;

    private readonly WorkerPool _pool;
    private readonly Body _body;
    private readonly bool _useFma;

    private Buffer _shared; // the operand every participant reads, when it must be packed: all its panels
    private readonly Buffer[] _private; // per participant: one own panel (k, NR) and one shared edge panel (k, NR)

    // The current problem, read by the body on every worker.
    private bool _transA, _transB;
    private int _m, _n, _k, _lda, _ldb, _ldc;
    private float _alpha, _beta;
    private float* _a, _b, _c;
    private int _mPanels, _nPanels, _kBlock;
    private int _participants;
    private bool _splitN; // participants own column panels (else row panels)
    private bool _packShared; // the shared operand is packed cooperatively into _shared, behind a barrier
    private int _arrived;

    /// <summary>Creates an engine that runs its parallel work on <paramref name="pool"/>.</summary>
    /// <param name="pool">The workers to use; <see cref="WorkerPool.Shared"/> in the usual case.</param>
    public CpuGemm(WorkerPool pool)
        : this(pool, forcePortable: false)
    {
    }

    /// <summary>Creates an engine; <paramref name="forcePortable"/> selects the non-FMA kernel even where FMA exists (for tests).</summary>
    internal CpuGemm(WorkerPool pool, bool forcePortable)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _body = new Body(this);
        _private = new Buffer[pool.ThreadCount];
        _useFma = !forcePortable && Fma.IsSupported && Avx2.IsSupported;
    }

    /// <summary>
    /// Row-major <c>C (m x n) = alpha * op(A) * op(B) + beta * C</c>, with op(A) m x k and op(B) k x n.
    /// </summary>
    /// <param name="transA">False: A is stored m x k. True: A is stored k x m and op(A) is its transpose.</param>
    /// <param name="transB">False: B is stored k x n. True: B is stored n x k and op(B) is its transpose.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The shared dimension; 0 gives <c>C = beta * C</c>.</param>
    /// <param name="alpha">Scale of the product; 0 gives <c>C = beta * C</c> without reading A or B.</param>
    /// <param name="a">A's first element.</param>
    /// <param name="lda">Row stride of A as stored, in floats.</param>
    /// <param name="b">B's first element.</param>
    /// <param name="ldb">Row stride of B as stored, in floats.</param>
    /// <param name="beta">Scale of the old C; when 0, C is write-only and its old contents (NaN included) are ignored.</param>
    /// <param name="c">C's first element.</param>
    /// <param name="ldc">Row stride of C, in floats.</param>
    public void Multiply(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
        if (c == null)
        {
            throw new ArgumentNullException(nameof(c));
        }

        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(lda, transA ? m : k);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, transB ? k : n);
        if (a == null)
        {
            throw new ArgumentNullException(nameof(a));
        }

        if (b == null)
        {
            throw new ArgumentNullException(nameof(b));
        }

        _transA = transA;
        _transB = transB;
        _m = m;
        _n = n;
        _k = k;
        _a = a;
        _b = b;
        _c = c;
        _lda = lda;
        _ldb = ldb;
        _ldc = ldc;
        _alpha = alpha;
        _beta = beta;
        _mPanels = (m + MR - 1) / MR;
        _nPanels = (n + NR - 1) / NR;

        // Equal blocks rather than KcMax plus a sliver; depends on k alone, which keeps results thread-count independent.
        int kBlocks = (k + KcMax - 1) / KcMax;
        _kBlock = (k + kBlocks - 1) / kBlocks;

        ChoosePartition();

        // All growth happens here on the caller, never on a worker.
        _packShared = _splitN ? !transA : transB;
        if (_packShared)
        {
            _shared.Ensure(_splitN ? (long)_mPanels * MR * k : (long)_nPanels * NR * k);
        }

        int ownPanels = CeilDiv(_splitN ? _nPanels : _mPanels, _participants);
        long privateSize = (long)ownPanels * _kBlock * (_splitN ? NR : MR) + (long)k * (_splitN ? MR : NR);
        for (int q = 0; q < _participants; q++)
        {
            _private[q].Ensure(privateSize);
        }

        _arrived = 0;
        try
        {
            if (_participants == 1)
            {
                Run(0, 1);
            }
            else
            {
                _pool.For(_participants, _body);
            }
        }
        finally
        {
            _a = _b = _c = null;
        }
    }

    /// <summary>Picks the participant count and whether they split C by column panels or by row panels.</summary>
    /// <remarks>Any choice gives the same bits; this only decides speed.</remarks>
    private void ChoosePartition()
    {
        // The swept (shared) operand should be the smaller one so that it stays in L2: splitting by column panels
        // sweeps A (m x k), splitting by row panels sweeps B (k x n).
        bool preferN = _m <= _n;
        int threads = _pool.ThreadCount;
        if (threads == 1 || (long)_m * _n * _k < ParallelThreshold || (_mPanels < 2 && _nPanels < 2))
        {
            _participants = 1;
            _splitN = preferN;
            return;
        }

        // Useful share of the work done by the busiest participant, in whole tiles.
        int pn = Math.Min(threads, _nPanels);
        int pm = Math.Min(threads, _mPanels);
        double effN = pn < 2 ? 0 : (double)_n / (pn * (double)CeilDiv(_nPanels, pn) * NR);
        double effM = pm < 2 ? 0 : (double)_m / (pm * (double)CeilDiv(_mPanels, pm) * MR);
        _splitN = Math.Abs(effN - effM) < 0.03 ? preferN : effN > effM;
        _participants = _splitN ? pn : pm;
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    /// <summary>C = beta * C, where beta == 0 writes zeros without reading C.</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else if (beta != 1f)
            {
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] *= beta;
                }
            }
        }
    }

    /// <summary>
    /// The work of participants <c>[q0, q1)</c> (one, unless the pool ran the loop inline). Each owns a contiguous
    /// range of panels of one operand (column panels of op(B) when splitting by N, else row panels of op(A)) and
    /// reads every panel of the other, shared operand. A shared operand that needs packing is packed once,
    /// cooperatively, before a barrier.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(int q0, int q1)
    {
        int p = _participants;
        int k = _k;
        bool splitN = _splitN;
        int ownCount = splitN ? _nPanels : _mPanels;
        int sharedCount = splitN ? _mPanels : _nPanels;
        int sharedWidth = splitN ? MR : NR;
        float* sharedEdge = _private[q0].Ptr; // (k, sharedWidth): this participant's copy of the shared edge panel
        bool sharedDirect = splitN ? _transA : !_transB;
        if (!sharedDirect)
        {
            int s0 = (int)((long)q0 * sharedCount / p), s1 = (int)((long)q1 * sharedCount / p);
            for (int s = s0; s < s1; s++)
            {
                PackPanel(!splitN, s, 0, k, _shared.Ptr + (long)s * k * sharedWidth);
            }

            Barrier(q1 - q0);
        }
        else if (IsEdge(!splitN, sharedCount - 1))
        {
            // A private copy of the zero-padded edge panel: cheaper than one more barrier.
            PackPanel(!splitN, sharedCount - 1, 0, k, sharedEdge);
        }

        // One participant at a time, each with its own buffer sized for its share.
        float* tile = stackalloc float[MR * NR]; // (MR, NR) scratch for edge tiles
        for (int q = q0; q < q1; q++)
        {
            int o0 = (int)((long)q * ownCount / p), o1 = (int)((long)(q + 1) * ownCount / p);
            float* ownPack = _private[q].Ptr + (long)k * sharedWidth; // (o1 - o0) panels of (kBlock, ownWidth)
            ComputeOwn(o0, o1, ownPack, sharedEdge, tile);
        }
    }

    /// <summary>Computes the C tiles of own panels <c>[o0, o1)</c> against every shared panel.</summary>
    /// <remarks>
    /// Loop order, outer to inner: K block; chunk of shared panels sized to stay in L2; own panel, whose K block
    /// stays in L1; shared panel in the chunk. Own panels that need packing are packed once per K block.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeOwn(int o0, int o1, float* ownPack, float* sharedEdge, float* tile)
    {
        int k = _k;
        bool splitN = _splitN;
        int sharedCount = splitN ? _mPanels : _nPanels;
        int ownWidth = splitN ? NR : MR;
        int sharedWidth = splitN ? MR : NR;
        bool sharedDirect = splitN ? _transA : !_transB;
        bool ownDirect = splitN ? !_transB : _transA;
        int chunk = Math.Max(1, SharedChunkBytes / (_kBlock * sharedWidth * sizeof(float)));
        for (int p0 = 0; p0 < k; p0 += _kBlock)
        {
            int kc = Math.Min(_kBlock, k - p0);
            for (int o = o0; o < o1; o++)
            {
                if (!ownDirect || IsEdge(splitN, o))
                {
                    PackPanel(splitN, o, p0, kc, ownPack + (long)(o - o0) * _kBlock * ownWidth);
                }
            }

            for (int s0 = 0; s0 < sharedCount; s0 += chunk)
            {
                int s1 = Math.Min(sharedCount, s0 + chunk);
                for (int o = o0; o < o1; o++)
                {
                    var own = !ownDirect || IsEdge(splitN, o)
                        ? new Panel(ownPack + (long)(o - o0) * _kBlock * ownWidth, ownWidth)
                        : DirectPanel(splitN, o, p0);
                    for (int s = s0; s < s1; s++)
                    {
                        Panel shared;
                        if (!sharedDirect)
                        {
                            shared = new Panel(_shared.Ptr + ((long)s * k + p0) * sharedWidth, sharedWidth);
                        }
                        else if (IsEdge(!splitN, s))
                        {
                            shared = new Panel(sharedEdge + (long)p0 * sharedWidth, sharedWidth);
                        }
                        else
                        {
                            shared = DirectPanel(!splitN, s, p0);
                        }

                        if (splitN)
                        {
                            Tile(s, o, p0, kc, shared, own, tile);
                        }
                        else
                        {
                            Tile(o, s, p0, kc, own, shared, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Whether panel <paramref name="index"/> of op(B) (<paramref name="ofB"/>) or op(A) is cut short by the edge of C.</summary>
    private bool IsEdge(bool ofB, int index) => ofB ? (index + 1) * NR > _n : (index + 1) * MR > _m;

    /// <summary>A full panel read in place from the caller's matrix (Aᵀ or B), positioned at k = <paramref name="p0"/>.</summary>
    private Panel DirectPanel(bool ofB, int index, int p0) => ofB
        ? new Panel(_b + (long)p0 * _ldb + index * NR, _ldb)
        : new Panel(_a + (long)p0 * _lda + index * MR, _lda);

    /// <summary>Packs k range <c>[p0, p0 + kc)</c> of a panel of op(B) (<paramref name="ofB"/>) or op(A).</summary>
    private void PackPanel(bool ofB, int index, int p0, int kc, float* dst)
    {
        if (ofB)
        {
            PackBPanel(index, p0, kc, dst);
        }
        else
        {
            PackAPanel(index, p0, kc, dst);
        }
    }

    /// <summary>Adds K block <c>[p0, p0 + kc)</c> of tile (ip, jp) into C; the first block applies beta.</summary>
    /// <param name="ip">Row panel.</param>
    /// <param name="jp">Column panel.</param>
    /// <param name="p0">First k of the block.</param>
    /// <param name="kc">Length of the block.</param>
    /// <param name="a">The row panel of op(A), positioned at <paramref name="p0"/>.</param>
    /// <param name="b">The column panel of op(B), positioned at <paramref name="p0"/>.</param>
    /// <param name="tile">(MR, NR) scratch for edge tiles.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Tile(int ip, int jp, int p0, int kc, Panel a, Panel b, float* tile)
    {
        float beta = p0 == 0 ? _beta : 1f;
        int i = ip * MR, j = jp * NR;
        int rows = Math.Min(MR, _m - i);
        int cols = Math.Min(NR, _n - j);
        nint ldc = _ldc;
        float* ct = _c + i * ldc + j; // (rows, cols) of C
        if (rows == MR && (cols == NR || cols == NR / 2))
        {
            Kernel(kc, a.Ptr, a.Stride, b.Ptr, b.Stride, ct, ldc, _alpha, beta, cols);
        }
        else
        {
            // Compute the whole padded tile into scratch, then write back only the part inside C.
            Kernel(kc, a.Ptr, a.Stride, b.Ptr, b.Stride, tile, NR, 1f, 0f, cols <= NR / 2 ? NR / 2 : NR);
            MergeEdge(tile, ct, ldc, rows, cols, _alpha, beta);
        }
    }

    /// <summary>Waits until every participant has packed its share. A worker running several participants counts for all.</summary>
    private void Barrier(int participantsHere)
    {
        if (participantsHere == _participants)
        {
            return;
        }

        Interlocked.Add(ref _arrived, participantsHere);
        if (Volatile.Read(ref _arrived) != _participants)
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _arrived) != _participants)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    private void Kernel(int kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int cols)
    {
        if (_useFma)
        {
            if (cols == NR)
            {
                Kernel6x16Fma(kc, a, aStride, b, bStride, c, ldc, alpha, beta);
            }
            else
            {
                Kernel6x8Fma(kc, a, aStride, b, bStride, c, ldc, alpha, beta);
            }
        }
        else
        {
            KernelPortable(kc, a, aStride, b, bStride, c, ldc, alpha, beta, cols);
        }
    }

    /// <summary>Writes the valid (rows, cols) corner of an (MR, NR) tile of raw sums into C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdge(float* tile, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++)
        {
            float* src = tile + r * NR;
            float* dst = c + r * ldc;
            if (beta == 0f)
            {
                for (int j = 0; j < cols; j++)
                {
                    dst[j] = alpha * src[j];
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    dst[j] = alpha * src[j] + beta * dst[j];
                }
            }
        }
    }

    /// <summary>Packs k range <c>[p0, p0 + kc)</c> of row panel <paramref name="ip"/> of op(A) as (kc, MR), zero rows past m.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackAPanel(int ip, int p0, int kc, float* dst)
    {
        nint lda = _lda;
        int i0 = ip * MR;
        int rows = Math.Min(MR, _m - i0);
        if (_transA)
        {
            float* src = _a + p0 * lda + i0; // stored (k, m): the panel's MR values are adjacent in each stored row
            if (rows == MR)
            {
                PackContiguous6(src, lda, dst, kc);
                return;
            }

            for (int p = 0; p < kc; p++)
            {
                for (int r = 0; r < MR; r++)
                {
                    dst[p * MR + r] = r < rows ? src[p * lda + r] : 0f;
                }
            }
        }
        else
        {
            float* src = _a + i0 * lda + p0; // stored (m, k): each panel row is a stored row
            int p = 0;
            if (rows == MR && Avx.IsSupported)
            {
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose6x8(src + p, lda, dst + p * MR);
                }
            }

            for (; p < kc; p++)
            {
                for (int r = 0; r < MR; r++)
                {
                    dst[p * MR + r] = r < rows ? src[r * lda + p] : 0f;
                }
            }
        }
    }

    /// <summary>Packs k range <c>[p0, p0 + kc)</c> of column panel <paramref name="jp"/> of op(B) as (kc, NR), zero columns past n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackBPanel(int jp, int p0, int kc, float* dst)
    {
        nint ldb = _ldb;
        int j0 = jp * NR;
        int cols = Math.Min(NR, _n - j0);
        if (_transB)
        {
            float* src = _b + j0 * ldb + p0; // stored (n, k): each panel column is a stored row
            int p = 0;
            if (cols == NR && Avx.IsSupported)
            {
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose8x8(src + p, ldb, dst + p * NR, NR);
                    Transpose8x8(src + 8 * ldb + p, ldb, dst + p * NR + 8, NR);
                }
            }

            for (; p < kc; p++)
            {
                for (int c = 0; c < NR; c++)
                {
                    dst[p * NR + c] = c < cols ? src[c * ldb + p] : 0f;
                }
            }
        }
        else
        {
            float* src = _b + p0 * ldb + j0; // stored (k, n): the panel's NR values are adjacent in each stored row
            for (int p = 0; p < kc; p++)
            {
                for (int c = 0; c < NR; c++)
                {
                    dst[p * NR + c] = c < cols ? src[p * ldb + c] : 0f;
                }
            }
        }
    }

    /// <summary>Copies six adjacent floats from each of k rows of stride ld into (k, 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackContiguous6(float* src, nint ld, float* dst, int k)
    {
        for (int p = 0; p < k; p++)
        {
            float* s = src + p * ld;
            float* d = dst + p * MR;
            Vector128.Store(Vector128.Load(s), d);
            *(long*)(d + 4) = *(long*)(s + 4);
        }
    }

    /// <summary>Transposes an 8 x 8 block (row stride ld) into dst with row stride ldd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint ld, float* dst, nint ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + ld);
        var r2 = Avx.LoadVector256(src + 2 * ld);
        var r3 = Avx.LoadVector256(src + 3 * ld);
        var r4 = Avx.LoadVector256(src + 4 * ld);
        var r5 = Avx.LoadVector256(src + 5 * ld);
        var r6 = Avx.LoadVector256(src + 6 * ld);
        var r7 = Avx.LoadVector256(src + 7 * ld);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Avx.Store(dst, r0);
        Avx.Store(dst + ldd, r1);
        Avx.Store(dst + 2 * ldd, r2);
        Avx.Store(dst + 3 * ldd, r3);
        Avx.Store(dst + 4 * ldd, r4);
        Avx.Store(dst + 5 * ldd, r5);
        Avx.Store(dst + 6 * ldd, r6);
        Avx.Store(dst + 7 * ldd, r7);
    }

    /// <summary>Transposes 6 rows x 8 columns (row stride ld) into 8 groups of 6 at dst.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose6x8(float* src, nint ld, float* dst)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + ld);
        var r2 = Avx.LoadVector256(src + 2 * ld);
        var r3 = Avx.LoadVector256(src + 3 * ld);
        var r4 = Avx.LoadVector256(src + 4 * ld);
        var r5 = Avx.LoadVector256(src + 5 * ld);
        var r6 = Vector256<float>.Zero;
        var r7 = Vector256<float>.Zero;
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);

        // Exact-width stores: the next panel may be packed concurrently by another thread.
        Store6(dst, r0);
        Store6(dst + 6, r1);
        Store6(dst + 12, r2);
        Store6(dst + 18, r3);
        Store6(dst + 24, r4);
        Store6(dst + 30, r5);
        Store6(dst + 36, r6);
        Store6(dst + 42, r7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store6(float* dst, Vector256<float> v)
    {
        Vector128.Store(v.GetLower(), dst);
        *(long*)(dst + 4) = v.GetUpper().AsInt64().ToScalar();
    }

    /// <summary>In-register 8 x 8 transpose: row i of the input becomes column i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(
        ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        // Interleave pairs of rows, then pairs of pairs within each 128-bit lane, then swap lanes.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>
    /// C (6, 16) = alpha * A·B + beta * C over one K block: A is (kc, 6) and B is (kc, 16), each with its own row
    /// stride (packed, or the caller's matrix read in place).
    /// Twelve accumulators hide the 4-cycle FMA latency at two FMAs per cycle.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Fma(int kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var x = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x, b1, c51);
            a += aStride;
            b += bStride;
        }

        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Avx.Store(c, Avx.Multiply(c00, va));
            Avx.Store(c + 8, Avx.Multiply(c01, va));
            Avx.Store(c + ldc, Avx.Multiply(c10, va));
            Avx.Store(c + ldc + 8, Avx.Multiply(c11, va));
            Avx.Store(c + 2 * ldc, Avx.Multiply(c20, va));
            Avx.Store(c + 2 * ldc + 8, Avx.Multiply(c21, va));
            Avx.Store(c + 3 * ldc, Avx.Multiply(c30, va));
            Avx.Store(c + 3 * ldc + 8, Avx.Multiply(c31, va));
            Avx.Store(c + 4 * ldc, Avx.Multiply(c40, va));
            Avx.Store(c + 4 * ldc + 8, Avx.Multiply(c41, va));
            Avx.Store(c + 5 * ldc, Avx.Multiply(c50, va));
            Avx.Store(c + 5 * ldc + 8, Avx.Multiply(c51, va));
        }
        else
        {
            StoreFma(c, c00, va, beta);
            StoreFma(c + 8, c01, va, beta);
            StoreFma(c + ldc, c10, va, beta);
            StoreFma(c + ldc + 8, c11, va, beta);
            StoreFma(c + 2 * ldc, c20, va, beta);
            StoreFma(c + 2 * ldc + 8, c21, va, beta);
            StoreFma(c + 3 * ldc, c30, va, beta);
            StoreFma(c + 3 * ldc + 8, c31, va, beta);
            StoreFma(c + 4 * ldc, c40, va, beta);
            StoreFma(c + 4 * ldc + 8, c41, va, beta);
            StoreFma(c + 5 * ldc, c50, va, beta);
            StoreFma(c + 5 * ldc + 8, c51, va, beta);
        }
    }

    /// <summary>C (6, 8) = alpha * A·B + beta * C for the last column panel when at most 8 columns remain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8Fma(int kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 1), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 2), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 3), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 4), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 5), b0, c5);
            a += aStride;
            b += bStride;
        }

        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Avx.Store(c, Avx.Multiply(c0, va));
            Avx.Store(c + ldc, Avx.Multiply(c1, va));
            Avx.Store(c + 2 * ldc, Avx.Multiply(c2, va));
            Avx.Store(c + 3 * ldc, Avx.Multiply(c3, va));
            Avx.Store(c + 4 * ldc, Avx.Multiply(c4, va));
            Avx.Store(c + 5 * ldc, Avx.Multiply(c5, va));
        }
        else
        {
            StoreFma(c, c0, va, beta);
            StoreFma(c + ldc, c1, va, beta);
            StoreFma(c + 2 * ldc, c2, va, beta);
            StoreFma(c + 3 * ldc, c3, va, beta);
            StoreFma(c + 4 * ldc, c4, va, beta);
            StoreFma(c + 5 * ldc, c5, va, beta);
        }
    }

    /// <summary>c = acc * alpha + beta * c; beta == 1 (every K block after the first) skips the multiply.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFma(float* c, Vector256<float> acc, Vector256<float> alpha, float beta)
    {
        var old = Avx.LoadVector256(c);
        Avx.Store(c, Fma.MultiplyAdd(acc, alpha, beta == 1f ? old : Avx.Multiply(old, Vector256.Create(beta))));
    }

    /// <summary>
    /// The same tile product for CPUs without AVX2/FMA, on portable 128-bit vectors (hardware accelerated on SSE
    /// and NEON, software otherwise). Each row keeps the k order of the FMA kernel.
    /// </summary>
    private static void KernelPortable(int kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int cols)
    {
        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        int quads = cols / 4;
        for (int r = 0; r < MR; r++)
        {
            for (int q = 0; q < quads; q += 2)
            {
                // Two quads at a time so the loop carries two independent sums.
                var s0 = Vector128<float>.Zero;
                var s1 = Vector128<float>.Zero;
                float* ap = a + r;
                float* bp = b + q * 4;
                for (int p = 0; p < kc; p++)
                {
                    var x = Vector128.Create(*ap);
                    s0 += x * Vector128.Load(bp);
                    s1 += x * Vector128.Load(bp + 4);
                    ap += aStride;
                    bp += bStride;
                }

                float* dst = c + r * ldc + q * 4;
                if (beta == 0f)
                {
                    Vector128.Store(s0 * va, dst);
                    Vector128.Store(s1 * va, dst + 4);
                }
                else
                {
                    Vector128.Store((s0 * va) + (Vector128.Load(dst) * vb), dst);
                    Vector128.Store((s1 * va) + (Vector128.Load(dst + 4) * vb), dst + 4);
                }
            }
        }
    }

    /// <summary>A panel's first element and the distance between consecutive k, in floats.</summary>
    private readonly struct Panel(float* ptr, nint stride)
    {
        public readonly float* Ptr = ptr;
        public readonly nint Stride = stride;
    }

    /// <summary>A pinned, 64-byte aligned float buffer that only grows.</summary>
    private struct Buffer
    {
        private float[]? _store;

        public float* Ptr;
        public long Capacity;

        public void Ensure(long needed)
        {
            if (needed <= Capacity)
            {
                return;
            }

            long size = Math.Max(needed, Capacity + Capacity / 2);
            if (size + 16 > Array.MaxLength)
            {
                throw new OutOfMemoryException($"GEMM packing buffer of {size} floats is too large.");
            }

            // The pinned heap keeps the address fixed for the buffer's lifetime; the slack pays for the alignment.
            _store = GC.AllocateUninitializedArray<float>((int)size + 16, pinned: true);
            Ptr = (float*)(((nuint)Unsafe.AsPointer(ref _store[0]) + 63) & ~(nuint)63);
            Capacity = size;
        }
    }

    /// <summary>The preallocated loop body handed to the pool; its range is a range of participants.</summary>
    private sealed class Body(CpuGemm owner) : IParallelBody
    {
        public void Execute(int start, int end, int worker) => owner.Run(start, end);
    }
}
