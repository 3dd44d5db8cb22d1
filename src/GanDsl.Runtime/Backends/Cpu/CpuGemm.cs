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
/// C is cut into tiles of <see cref="MR"/> x <see cref="NR"/>, each computed by a micro-kernel that keeps the tile in
/// twelve ymm registers and walks k, broadcasting six values of op(A) and loading sixteen of op(B) per step. op(B)
/// is always packed into k-major panels of NR columns (zero-padded at the right edge), so the kernel's two vector
/// loads are contiguous and a panel stays in L1 while it is reused. op(A) is read in place when A is stored m x k
/// (six row streams; this saves a transposing pack) and packed into k-major panels of MR rows when it is stored
/// k x m (a cheap copy that measured slightly faster than strided reads). A bottom-edge panel is always packed,
/// zero-padded. Edge tiles go through a small scratch tile, of which only the part inside C is written back.
/// </para>
/// <para>
/// Where AVX-512 exists, two full column panels are computed at once in twelve zmm registers
/// (<see cref="Kernel6x32Avx512"/>): on cores with 512-bit FMA units (Zen 5: 205 against 104 GFLOP/s a core) that
/// doubles the peak, and each element of C still gets the 256-bit kernel's operations in its order, so the bits do not
/// depend on which kernel ran.
/// </para>
/// <para>
/// Threads split C either by column panels (each packs the B panels it alone reads, all share A) or by row panels
/// (B is packed once, cooperatively, before a barrier; each thread handles its own A panels). K is never split, its
/// blocking depends only on k, and the path taken depends only on the shape, so every element of C goes through the
/// same operations in the same order whatever the thread count: results are bitwise identical for any
/// <see cref="WorkerPool.ThreadCount"/>.
/// </para>
/// <para>
/// Buffers grow to the largest problem seen and are then reused, so a steady stream of calls allocates nothing.
/// An instance is not safe to call from several threads at once.
/// </para>
/// </remarks>
internal sealed unsafe class CpuGemm
{
    /// <summary>Rows of the micro-tile; 6 x 16 uses 12 of the 16 ymm registers as accumulators.</summary>
    internal const int MR = 6;

    /// <summary>Columns of the micro-tile: two 8-float vectors.</summary>
    internal const int NR = 16;

    /// <summary>Most k per block: a B micro-panel (KcMax x 16 floats, 16 KB) stays in L1 while A streams from L2.</summary>
    private const int KcMax = 256;

    /// <summary>Bytes of A swept per B panel: a K block of this many rows' worth stays in L2 (512 KB) across B panels.</summary>
    private const int AChunkBytes = 160 * 1024;

    /// <summary>k granularity of the cooperative packing of a shared operand; a multiple of 8 for the transposes.</summary>
    private const int SharedPackChunk = 64;

    /// <summary>
    /// An m or n this small wastes most of a 6 x 16 tile: such products go through dot products or axpys instead.
    /// (A tiny k is not: its tiles are still full, and they measured faster than row-by-row axpys.)
    /// </summary>
    private const int SkinnyMax = 2;

    /// <summary>Below this many multiply-adds, dispatching to a second thread costs more than it saves.</summary>
    private const long ParallelThreshold = 64 * 1024;

    private readonly WorkerPool _pool;
    private readonly Body _body;
    private readonly SkinnyBody _skinnyBody;
    private readonly bool _useFma;
    private readonly bool _useAvx512; // two column panels at once, in zmm registers (Kernel6x32Avx512)

    private Buffer _shared; // all K of the operand every participant reads when it needs packing: op(B), or op(A) = Aᵀ
    private readonly Buffer[] _private; // per participant: a packed edge panel of A, then its own panels for one K block

    // The current problem, read by the bodies on every worker.
    private bool _transA, _transB;
    private bool _directA; // full row panels of op(A) are read in place from A (stored m x k)
    private int _m, _n, _k, _lda, _ldb, _ldc;
    private float _alpha, _beta;
    private float* _a, _b, _c;
    private int _mPanels, _nPanels, _kBlock;
    private int _participants;
    private float* _packedB; // MultiplyPacked: op(B)'s panels already packed, panel jp's rows at _packedB + jp * _packedStride
    private nint _packedStride;
    private bool _splitN; // participants own column panels of C (else row panels)
    private int _arrived; // participants past the packing barrier

    /// <summary>Creates an engine that runs its parallel work on <paramref name="pool"/>.</summary>
    /// <param name="pool">The workers to use; <see cref="WorkerPool.Shared"/> in the usual case.</param>
    public CpuGemm(WorkerPool pool)
        : this(pool, forcePortable: false)
    {
    }

    /// <summary>
    /// Creates an engine; <paramref name="forcePortable"/> selects the non-FMA code even where FMA exists, and
    /// <paramref name="allowAvx512"/> false keeps to the 256-bit kernels where AVX-512 exists (both for tests).
    /// </summary>
    internal CpuGemm(WorkerPool pool, bool forcePortable, bool allowAvx512 = true)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _body = new Body(this);
        _skinnyBody = new SkinnyBody(this);
        _private = new Buffer[pool.ThreadCount];
        _useFma = !forcePortable && Fma.IsSupported && Avx2.IsSupported;
        _useAvx512 = _useFma && allowAvx512 && Avx512F.IsSupported;
    }

    /// <summary>Whether this engine computes full tiles two column panels at a time on 512-bit vectors.</summary>
    internal bool UsesAvx512 => _useAvx512;

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
        _directA = !transA;
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
        try
        {
            if (m <= SkinnyMax || n <= SkinnyMax)
            {
                RunSkinny();
            }
            else
            {
                RunTiled();
            }
        }
        finally
        {
            _a = _b = _c = null;
        }
    }

    /// <summary>Floats of <paramref name="k"/> x <paramref name="n"/> packed as <see cref="MultiplyPacked"/> reads it.</summary>
    internal static long PackedFloats(int k, int n) => (long)CeilDiv(n, NR) * k * NR;

    /// <summary>Where element (<paramref name="row"/>, <paramref name="col"/>) of a packed matrix of <paramref name="rows"/> rows lies: column panels of <see cref="NR"/>, each its rows in order.</summary>
    internal static long PackedIndex(long row, int col, int rows) => ((((long)(col / NR) * rows) + row) * NR) + (col % NR);

    /// <summary>
    /// <c>C (m x n) = A B + beta C</c>, A stored m x k (row stride <paramref name="lda"/>), B rows
    /// <c>[row0, row0 + k)</c> of a matrix of <paramref name="rows"/> rows already packed (<see cref="PackedIndex"/>,
    /// columns past n zero), so that the many products of a convolution that share its weights do not pack them each
    /// time. One participant (the caller); the same bits as <see cref="Multiply"/> on the unpacked B. m and n above 2.
    /// </summary>
    internal void MultiplyPacked(int m, int n, int k, float* a, int lda, float* packed, int rows, int row0, float beta, float* c, int ldc)
    {
        if (m <= SkinnyMax || n <= SkinnyMax || k <= 0 || row0 < 0 || row0 + k > rows || lda < k || ldc < n)
        {
            throw new ArgumentException($"A packed product needs m and n above {SkinnyMax}, k above 0 and rows [row0, row0 + k) of the packed matrix: m {m}, n {n}, k {k}, rows {row0} + {k} of {rows}.");
        }

        _transA = false;
        _transB = false;
        _directA = true;
        (_m, _n, _k) = (m, n, k);
        _a = a;
        _b = null;
        _c = c;
        (_lda, _ldb, _ldc) = (lda, n, ldc);
        _alpha = 1f;
        _beta = beta;
        _packedB = packed + ((long)row0 * NR);
        _packedStride = (nint)rows * NR;
        try
        {
            _mPanels = CeilDiv(m, MR);
            _nPanels = CeilDiv(n, NR);
            _kBlock = CeilDiv(k, CeilDiv(k, KcMax));
            _participants = 1;
            _splitN = false;
            _private[0].Ensure((long)_kBlock * MR);
            Run(0, 1);
        }
        finally
        {
            _a = _c = null;
            _packedB = null;
        }
    }

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

    private void RunTiled()
    {
        int k = _k;
        _mPanels = CeilDiv(_m, MR);
        _nPanels = CeilDiv(_n, NR);

        // Equal blocks rather than KcMax plus a sliver; they depend on k alone, as the bitwise guarantee needs.
        _kBlock = CeilDiv(k, CeilDiv(k, KcMax));
        ChoosePartition();

        // All growth happens here on the caller, never on a worker.
        bool shareA = _splitN && !_directA;
        _shared.Ensure(_splitN ? (shareA ? (long)_mPanels * MR * k : 0) : (long)_nPanels * NR * k);
        int ownPanels = CeilDiv(_splitN ? _nPanels : _mPanels, _participants);
        long privateSize = (long)_kBlock * MR + (long)ownPanels * _kBlock * (_splitN ? NR : MR);
        for (int q = 0; q < _participants; q++)
        {
            _private[q].Ensure(privateSize);
        }

        _arrived = 0;
        if (_participants == 1)
        {
            Run(0, 1);
        }
        else
        {
            _pool.For(_participants, _body);
        }
    }

    /// <summary>Picks the participant count and whether they split C by column panels or by row panels.</summary>
    /// <remarks>Any choice gives the same bits; this only decides speed.</remarks>
    private void ChoosePartition()
    {
        // The operand every participant sweeps should be the smaller one, so that it stays in cache: splitting by
        // column panels sweeps A (m x k), splitting by row panels sweeps B (k x n).
        bool preferN = _m <= _n;
        int threads = _pool.ThreadCount;
        if (threads == 1 || (long)_m * _n * _k < ParallelThreshold)
        {
            _participants = 1;
            _splitN = preferN;
            return;
        }

        // Useful share of the work done by the busiest participant, counted in whole tiles.
        int pn = Math.Min(threads, _nPanels);
        int pm = Math.Min(threads, _mPanels);
        double effN = pn < 2 ? 0 : (double)_n / (pn * (double)CeilDiv(_nPanels, pn) * NR);
        double effM = pm < 2 ? 0 : (double)_m / (pm * (double)CeilDiv(_mPanels, pm) * MR);
        _splitN = Math.Abs(effN - effM) < 0.03 ? preferN : effN > effM;
        _participants = Math.Max(1, _splitN ? pn : pm);
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    /// <summary>
    /// The work of participants <c>[q0, q1)</c> (one, unless the pool ran the loop inline): their share of packing
    /// the shared operand, the barrier, then each participant's slab of C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(int q0, int q1)
    {
        int p = _participants;
        bool shareA = _splitN && !_directA;
        if ((!_splitN || shareA) && _packedB == null)
        {
            // Shared panels are cut into (panel, k chunk) units so that the shares stay even when panels are few.
            int panels = _splitN ? _mPanels : _nPanels;
            int chunks = CeilDiv(_k, SharedPackChunk);
            long units = (long)panels * chunks;
            long u1 = q1 * units / p;
            for (long u = q0 * units / p; u < u1; u++)
            {
                int panel = (int)(u / chunks);
                int p0 = (int)(u % chunks) * SharedPackChunk;
                int kc = Math.Min(SharedPackChunk, _k - p0);
                if (_splitN)
                {
                    PackAPanel(panel, p0, kc, _shared.Ptr + ((long)panel * _k + p0) * MR);
                }
                else
                {
                    PackBPanel(panel, p0, kc, _shared.Ptr + ((long)panel * _k + p0) * NR);
                }
            }

            Barrier(q1 - q0);
        }

        // One participant at a time, each in its own buffer sized for its share.
        float* tile = stackalloc float[MR * NR]; // (MR, NR) scratch for edge tiles
        for (int q = q0; q < q1; q++)
        {
            int own = _splitN ? _nPanels : _mPanels;
            int o0 = (int)((long)q * own / p), o1 = (int)((long)(q + 1) * own / p);
            if (_splitN)
            {
                ComputeRegion(0, _mPanels, o0, o1, _private[q].Ptr, tile);
            }
            else
            {
                ComputeRegion(o0, o1, 0, _nPanels, _private[q].Ptr, tile);
            }
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

    /// <summary>Computes the C tiles of row panels <c>[ip0, ip1)</c> x column panels <c>[jp0, jp1)</c>.</summary>
    /// <remarks>
    /// BLIS loop order, outer to inner: K block; chunk of A panels sized for L2; B panel, whose K block stays in L1;
    /// A panel of the chunk. Panels this participant alone reads (B's when splitting by N; A's otherwise, unless read
    /// in place) are packed into <paramref name="scratch"/> once per K block; when A fits one chunk, each B panel is
    /// instead packed just before its single sweep, so it never leaves L1.
    /// </remarks>
    /// <param name="ip0">First row panel.</param>
    /// <param name="ip1">Row panel past the last.</param>
    /// <param name="jp0">First column panel.</param>
    /// <param name="jp1">Column panel past the last.</param>
    /// <param name="scratch">This participant's buffer: an edge panel of A (kBlock, MR), then its own panels.</param>
    /// <param name="tile">(MR, NR) scratch for edge tiles.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeRegion(int ip0, int ip1, int jp0, int jp1, float* scratch, float* tile)
    {
        int k = _k;
        int kBlock = _kBlock;
        float* aEdge = scratch; // (kBlock, MR)
        float* own = scratch + (long)kBlock * MR; // own panels, (kBlock, NR) or (kBlock, MR) each
        int mc = Math.Max(1, AChunkBytes / (kBlock * MR * sizeof(float)));
        bool lazyB = _splitN && ip1 - ip0 <= mc;
        for (int p0 = 0; p0 < k; p0 += kBlock)
        {
            int kc = Math.Min(kBlock, k - p0);
            if (_directA && IsEdgeA(ip1 - 1))
            {
                PackAPanel(ip1 - 1, p0, kc, aEdge);
            }

            if (lazyB)
            {
                for (int jp = jp0; jp < jp1;)
                {
                    bool pair = Pairs(jp, jp1);
                    PackBPanel(jp, p0, kc, own);
                    if (pair)
                    {
                        PackBPanel(jp + 1, p0, kc, own + ((long)kBlock * NR));
                    }

                    for (int ip = ip0; ip < ip1; ip++)
                    {
                        var a = APanel(ip, p0, ip0, own, aEdge);
                        if (pair)
                        {
                            TilePair(ip, jp, p0, kc, a, own, (nint)kBlock * NR, tile);
                        }
                        else
                        {
                            Tile(ip, jp, p0, kc, a, own, tile);
                        }
                    }

                    jp += pair ? 2 : 1;
                }

                continue;
            }

            if (_splitN)
            {
                for (int jp = jp0; jp < jp1; jp++)
                {
                    PackBPanel(jp, p0, kc, own + (long)(jp - jp0) * kBlock * NR);
                }
            }
            else if (!_directA)
            {
                for (int ip = ip0; ip < ip1; ip++)
                {
                    PackAPanel(ip, p0, kc, own + (long)(ip - ip0) * kBlock * MR);
                }
            }

            for (int ic = ip0; ic < ip1; ic += mc)
            {
                int icEnd = Math.Min(ip1, ic + mc);
                for (int jp = jp0; jp < jp1;)
                {
                    bool pair = Pairs(jp, jp1);
                    float* b = _splitN // (kc, NR)
                        ? own + (long)(jp - jp0) * kBlock * NR
                        : _packedB != null ? _packedB + (jp * _packedStride) + ((long)p0 * NR) : _shared.Ptr + ((long)jp * k + p0) * NR;
                    nint next = _splitN ? (nint)kBlock * NR : _packedB != null ? _packedStride : (nint)k * NR; // to panel jp + 1's same K block
                    for (int ip = ic; ip < icEnd; ip++)
                    {
                        var a = APanel(ip, p0, ip0, own, aEdge);
                        if (pair)
                        {
                            TilePair(ip, jp, p0, kc, a, b, next, tile);
                        }
                        else
                        {
                            Tile(ip, jp, p0, kc, a, b, tile);
                        }
                    }

                    jp += pair ? 2 : 1;
                }
            }
        }
    }

    /// <summary>Where K block <paramref name="p0"/> of row panel <paramref name="ip"/> of op(A) is read from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AView APanel(int ip, int p0, int ip0, float* own, float* aEdge)
    {
        if (IsEdgeA(ip))
        {
            if (_directA)
            {
                return new AView(aEdge, 1, MR);
            }
        }
        else if (_directA)
        {
            return new AView(_a + ((long)ip * MR * _lda) + p0, _lda, 1);
        }

        return _splitN
            ? new AView(_shared.Ptr + (((long)ip * _k) + p0) * MR, 1, MR)
            : new AView(own + ((long)(ip - ip0) * _kBlock * MR), 1, MR);
    }

    /// <summary>Whether row panel <paramref name="ip"/> is cut short by the bottom edge of C.</summary>
    private bool IsEdgeA(int ip) => (ip + 1) * MR > _m;

    /// <summary>Whether column panels <paramref name="jp"/> and <paramref name="jp"/> + 1 are both this region's and both full, for <see cref="TilePair"/>.</summary>
    private bool Pairs(int jp, int jp1) => _useAvx512 && jp + 1 < jp1 && (jp + 2) * NR <= _n;

    /// <summary>
    /// Tiles (ip, jp) and (ip, jp + 1) at once (<see cref="Kernel6x32Avx512"/>), panel jp + 1's B at <paramref name="b"/>
    /// + <paramref name="next"/>; a bottom-edge row panel goes through <see cref="Tile(int, int, int, int, AView, float*, float*)"/>
    /// twice. Each element of C gets the same operations in the same order as from the 256-bit kernel, so the bits are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TilePair(int ip, int jp, int p0, int kc, AView a, float* b, nint next, float* tile)
    {
        int i = ip * MR;
        if (i + MR > _m)
        {
            Tile(ip, jp, p0, kc, a, b, tile);
            Tile(ip, jp + 1, p0, kc, a, b + next, tile);
            return;
        }

        nint ldc = _ldc;
        Kernel6x32Avx512(kc, a.Ptr, a.RowStride, a.KStride, b, b + next, NR, _c + (i * ldc) + (jp * NR), ldc, _alpha, p0 == 0 ? _beta : 1f);
    }

    /// <summary>Adds K block <c>[p0, p0 + kc)</c> of tile (ip, jp) into C; the first block applies beta.</summary>
    /// <param name="ip">Row panel.</param>
    /// <param name="jp">Column panel.</param>
    /// <param name="p0">First k of the block.</param>
    /// <param name="kc">Length of the block.</param>
    /// <param name="a">The row panel of op(A), positioned at <paramref name="p0"/>.</param>
    /// <param name="b">The packed column panel of op(B), (kc, NR), positioned at <paramref name="p0"/>.</param>
    /// <param name="tile">(MR, NR) scratch for edge tiles.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Tile(int ip, int jp, int p0, int kc, AView a, float* b, float* tile)
    {
        float beta = p0 == 0 ? _beta : 1f;
        int i = ip * MR, j = jp * NR;
        int rows = Math.Min(MR, _m - i);
        int cols = Math.Min(NR, _n - j);
        nint ldc = _ldc;
        float* ct = _c + (i * ldc) + j; // (rows, cols) of C
        if (rows == MR && (cols == NR || cols == NR / 2))
        {
            Kernel(kc, a, b, ct, ldc, _alpha, beta, cols);
        }
        else
        {
            // The whole padded tile into scratch, then only the part inside C back.
            Kernel(kc, a, b, tile, NR, 1f, 0f, cols <= NR / 2 ? NR / 2 : NR);
            MergeEdge(tile, ct, ldc, rows, cols, _alpha, beta);
        }
    }

    private void Kernel(int kc, AView a, float* b, float* c, nint ldc, float alpha, float beta, int cols) =>
        Kernel(kc, a, b, NR, c, ldc, alpha, beta, cols);

    /// <summary>
    /// One (MR, <paramref name="cols"/>) tile, <c>C = A·B + beta * C</c> over <paramref name="kc"/>, with both operands
    /// read in place: A's element (i, p) at <c>a + i * rs + p * ks</c>, B's row p at <c>b + p * bs</c>; for callers that
    /// block the product themselves. <paramref name="cols"/> is 16 or 8, and all MR rows of A and C are read and written.
    /// </summary>
    internal void Tile(int kc, float* a, nint rs, nint ks, float* b, nint bs, float* c, nint ldc, float beta, int cols) =>
        Kernel(kc, new AView(a, rs, ks), b, bs, c, ldc, 1f, beta, cols);

    private void Kernel(int kc, AView a, float* b, nint bs, float* c, nint ldc, float alpha, float beta, int cols)
    {
        if (_useFma)
        {
            if (cols == NR)
            {
                Kernel6x16Fma(kc, a.Ptr, a.RowStride, a.KStride, b, bs, c, ldc, alpha, beta);
            }
            else
            {
                // The last column panel with at most 8 columns left: half the work of a full tile.
                Kernel6x8Fma(kc, a.Ptr, a.RowStride, a.KStride, b, bs, c, ldc, alpha, beta);
            }
        }
        else
        {
            KernelPortable(kc, a.Ptr, a.RowStride, a.KStride, b, bs, c, ldc, alpha, beta, cols);
        }
    }

    /// <summary>Writes the valid (rows, cols) corner of an (MR, NR) tile of raw sums into C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdge(float* tile, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++)
        {
            float* src = tile + (r * NR);
            float* dst = c + (r * ldc);
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
                    dst[j] = (alpha * src[j]) + (beta * dst[j]);
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
        if (_transA && rows == MR)
        {
            // Stored (k, m): the panel's MR values are adjacent in each stored row.
            PackContiguous6(_a + (p0 * lda) + i0, lda, dst, kc);
            return;
        }

        // Only edge panels come here when A is stored (m, k), which the kernel otherwise reads in place.
        nint rowStride = _transA ? 1 : lda, kStride = _transA ? lda : 1;
        float* src = _transA ? _a + (p0 * lda) + i0 : _a + (i0 * lda) + p0;
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < MR; r++)
            {
                dst[(p * MR) + r] = r < rows ? src[(r * rowStride) + (p * kStride)] : 0f;
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
            if (cols == NR)
            {
                for (int p = 0; p < kc; p++)
                {
                    Vector256.Store(Vector256.Load(src + p * ldb), dst + p * NR);
                    Vector256.Store(Vector256.Load(src + p * ldb + 8), dst + p * NR + 8);
                }

                return;
            }

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
    /// C (6, 16) = alpha * A·B + beta * C over one K block, A packed (kc, 6) and B packed (kc, 16).
    /// Twelve accumulators hide the 4-cycle FMA latency at two FMAs per cycle.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Fma(int kc, float* a, nint rs, nint ks, float* b, nint bs, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs, a4 = a + 4 * rs, a5 = a + 5 * rs;
        nint off = 0;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var x = Avx.BroadcastScalarToVector256(a0 + off);
            c00 = Fma.MultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Avx.BroadcastScalarToVector256(a1 + off);
            c10 = Fma.MultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Avx.BroadcastScalarToVector256(a2 + off);
            c20 = Fma.MultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Avx.BroadcastScalarToVector256(a3 + off);
            c30 = Fma.MultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Avx.BroadcastScalarToVector256(a4 + off);
            c40 = Fma.MultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Avx.BroadcastScalarToVector256(a5 + off);
            c50 = Fma.MultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x, b1, c51);
            off += ks;
            b += bs;
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

    /// <summary>
    /// C (6, 32) = alpha * A·B + beta * C over one K block: <see cref="Kernel6x16Fma"/> for two column panels at once,
    /// B's rows at <paramref name="b0"/> (C's columns 0-15) and <paramref name="b1"/> (16-31), in twelve zmm
    /// accumulators. On cores with 512-bit FMA units (Zen 5) this is twice the 256-bit kernel's peak; each element
    /// of C still gets one FMA per k in k order, then the same epilogue, so the bits are the 256-bit kernel's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32Avx512(int kc, float* a, nint rs, nint ks, float* b0, float* b1, nint bs, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs, a4 = a + 4 * rs, a5 = a + 5 * rs;
        nint off = 0;
        for (int p = 0; p < kc; p++)
        {
            var y0 = Avx512F.LoadVector512(b0);
            var y1 = Avx512F.LoadVector512(b1);
            var x = Vector512.Create(a0[off]);
            c00 = Avx512F.FusedMultiplyAdd(x, y0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, y1, c01);
            x = Vector512.Create(a1[off]);
            c10 = Avx512F.FusedMultiplyAdd(x, y0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, y1, c11);
            x = Vector512.Create(a2[off]);
            c20 = Avx512F.FusedMultiplyAdd(x, y0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x, y1, c21);
            x = Vector512.Create(a3[off]);
            c30 = Avx512F.FusedMultiplyAdd(x, y0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x, y1, c31);
            x = Vector512.Create(a4[off]);
            c40 = Avx512F.FusedMultiplyAdd(x, y0, c40);
            c41 = Avx512F.FusedMultiplyAdd(x, y1, c41);
            x = Vector512.Create(a5[off]);
            c50 = Avx512F.FusedMultiplyAdd(x, y0, c50);
            c51 = Avx512F.FusedMultiplyAdd(x, y1, c51);
            off += ks;
            b0 += bs;
            b1 += bs;
        }

        var va = Vector512.Create(alpha);
        Store512(c, c00, va, beta);
        Store512(c + 16, c01, va, beta);
        Store512(c + ldc, c10, va, beta);
        Store512(c + ldc + 16, c11, va, beta);
        Store512(c + 2 * ldc, c20, va, beta);
        Store512(c + 2 * ldc + 16, c21, va, beta);
        Store512(c + 3 * ldc, c30, va, beta);
        Store512(c + 3 * ldc + 16, c31, va, beta);
        Store512(c + 4 * ldc, c40, va, beta);
        Store512(c + 4 * ldc + 16, c41, va, beta);
        Store512(c + 5 * ldc, c50, va, beta);
        Store512(c + 5 * ldc + 16, c51, va, beta);
    }

    /// <summary>c = acc * alpha (beta 0: c is not read), else as <see cref="StoreFma"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> acc, Vector512<float> alpha, float beta)
    {
        if (beta == 0f)
        {
            Avx512F.Store(c, Avx512F.Multiply(acc, alpha));
            return;
        }

        var old = Avx512F.LoadVector512(c);
        Avx512F.Store(c, Avx512F.FusedMultiplyAdd(acc, alpha, beta == 1f ? old : Avx512F.Multiply(old, Vector512.Create(beta))));
    }

    /// <summary>C (6, 8) = alpha * A·B + beta * C for the last column panel when at most 8 columns remain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8Fma(int kc, float* a, nint rs, nint ks, float* b, nint bs, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        float* a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs, a4 = a + 4 * rs, a5 = a + 5 * rs;
        nint off = 0;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a0 + off), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a1 + off), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a2 + off), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a3 + off), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a4 + off), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a5 + off), b0, c5);
            off += ks;
            b += bs;
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
    private static void KernelPortable(int kc, float* a, nint rs, nint ks, float* b, nint bs, float* c, nint ldc, float alpha, float beta, int cols)
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
                float* ap = a + r * rs;
                float* bp = b + q * 4;
                for (int p = 0; p < kc; p++)
                {
                    var x = Vector128.Create(*ap);
                    s0 += x * Vector128.Load(bp);
                    s1 += x * Vector128.Load(bp + 4);
                    ap += ks;
                    bp += bs;
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

    /// <summary>
    /// Products with m or n of at most <see cref="SkinnyMax"/>, row by row. Each row of C is computed by one
    /// thread in an order fixed by the shape, so the thread count still cannot change a bit.
    /// </summary>
    private void RunSkinny()
    {
        int threads = _pool.ThreadCount;
        long work = (long)_m * _n * _k;
        for (int w = 0; w < threads; w++)
        {
            _private[w].Ensure(3L * _k);
        }

        if (threads == 1 || work < ParallelThreshold)
        {
            SkinnyRows(0, _m, _private[0].Ptr);
        }
        else
        {
            // Enough rows per worker that each gets about a threshold's worth of work.
            int minRows = (int)Math.Max(1, ParallelThreshold / Math.Max(1, work / _m));
            _pool.For(_m, minRows, _skinnyBody);
        }
    }

    /// <summary>
    /// Rows <c>[i0, i1)</c> of C. With few columns, or B stored transposed, each element is a dot product of an
    /// op(A) row and an op(B) column, gathered into <paramref name="scratch"/> (3k floats) where strided; otherwise
    /// each row of C accumulates scaled rows of B (axpy), which suits m tiny and n wide.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkinnyRows(int i0, int i1, float* scratch)
    {
        int n = _n, k = _k;
        nint lda = _lda, ldb = _ldb;
        float alpha = _alpha, beta = _beta;
        bool fma = _useFma;
        if (_transB || n <= SkinnyMax)
        {
            float* aRow = scratch; // (k) when op(A) rows are strided
            float* bCols = scratch + k; // (n <= 2, k) when op(B) columns are strided
            if (!_transB)
            {
                for (int j = 0; j < n; j++)
                {
                    for (int p = 0; p < k; p++)
                    {
                        bCols[j * k + p] = _b[p * ldb + j];
                    }
                }
            }

            for (int i = i0; i < i1; i++)
            {
                float* ai = _a + i * lda;
                if (_transA)
                {
                    for (int p = 0; p < k; p++)
                    {
                        aRow[p] = _a[p * lda + i];
                    }

                    ai = aRow;
                }

                float* ci = _c + i * (nint)_ldc;
                for (int j = 0; j < n; j++)
                {
                    float dot = Dot(ai, _transB ? _b + j * ldb : bCols + j * k, k, fma);
                    ci[j] = beta == 0f ? alpha * dot : alpha * dot + beta * ci[j];
                }
            }

            return;
        }

        for (int i = i0; i < i1; i++)
        {
            float* ci = _c + i * (nint)_ldc;
            ScaleC(1, n, beta, ci, n);
            for (int p = 0; p < k; p++)
            {
                float s = alpha * (_transA ? _a[p * lda + i] : _a[i * lda + p]);
                Axpy(s, _b + p * ldb, ci, n, fma);
            }
        }
    }

    /// <summary>Σ x[p]·y[p] over k, in an order that depends only on k.</summary>
    private static float Dot(float* x, float* y, int k, bool fma)
    {
        int p = 0;
        float sum = 0f;
        if (fma && k >= 8)
        {
            // Four chains of partial sums hide the FMA latency.
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p + 32 <= k; p += 32)
            {
                s0 = Fma.MultiplyAdd(Avx.LoadVector256(x + p), Avx.LoadVector256(y + p), s0);
                s1 = Fma.MultiplyAdd(Avx.LoadVector256(x + p + 8), Avx.LoadVector256(y + p + 8), s1);
                s2 = Fma.MultiplyAdd(Avx.LoadVector256(x + p + 16), Avx.LoadVector256(y + p + 16), s2);
                s3 = Fma.MultiplyAdd(Avx.LoadVector256(x + p + 24), Avx.LoadVector256(y + p + 24), s3);
            }

            for (; p + 8 <= k; p += 8)
            {
                s0 = Fma.MultiplyAdd(Avx.LoadVector256(x + p), Avx.LoadVector256(y + p), s0);
            }

            var s = Avx.Add(Avx.Add(s0, s1), Avx.Add(s2, s3));
            var h = Sse.Add(s.GetLower(), s.GetUpper());
            h = Sse.Add(h, Sse.MoveHighToLow(h, h));
            sum = h.ToScalar() + h.GetElement(1);
        }

        for (; p < k; p++)
        {
            sum += x[p] * y[p];
        }

        return sum;
    }

    /// <summary>y[j] += s·x[j] for j &lt; n.</summary>
    private static void Axpy(float s, float* x, float* y, int n, bool fma)
    {
        int j = 0;
        if (fma)
        {
            var vs = Vector256.Create(s);
            for (; j + 8 <= n; j += 8)
            {
                Avx.Store(y + j, Fma.MultiplyAdd(vs, Avx.LoadVector256(x + j), Avx.LoadVector256(y + j)));
            }
        }

        for (; j < n; j++)
        {
            y[j] += s * x[j];
        }
    }

    /// <summary>
    /// Where a row panel of op(A) lives: element (r, p) of the panel is at <c>Ptr[r * RowStride + p * KStride]</c>.
    /// Packed panels are (1, MR); A read in place is (lda, 1).
    /// </summary>
    private readonly struct AView(float* ptr, nint rowStride, nint kStride)
    {
        public readonly float* Ptr = ptr;
        public readonly nint RowStride = rowStride;
        public readonly nint KStride = kStride;
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

    /// <summary>The preallocated loop body for tiled products; its range is a range of participants.</summary>
    private sealed class Body(CpuGemm owner) : IParallelBody
    {
        public void Execute(int start, int end, int worker) => owner.Run(start, end);
    }

    /// <summary>The preallocated loop body for skinny products: a range of rows of C.</summary>
    private sealed class SkinnyBody(CpuGemm owner) : IParallelBody
    {
        public void Execute(int start, int end, int worker) => owner.SkinnyRows(start, end, owner._private[worker].Ptr);
    }
}
