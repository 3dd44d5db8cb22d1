using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GanDsl.Backends.Cpu;

/// <summary>
/// The CPU's convolution passes. Where <see cref="Serves"/> (a batch and channels of 16 or more), without im2col: each
/// pixel of the output is a sum of GEMMs over the batch, one per kernel row that lands inside the image, each reading
/// its run of taps straight from the channels-last tensor. Elsewhere (1-channel images, small batches), im2col a
/// block of images at a time into a cache-sized scratch, then one GEMM.
/// </summary>
/// <remarks>
/// <para>
/// In a channels-last image the taps of one kernel row that fall inside the image are one contiguous run of
/// <c>taps x channels</c> floats, and the same run of the next image sits <c>H x W x C</c> floats further. So for one
/// output pixel and one kernel row, the product over the batch is a GEMM whose A is read in place with that row
/// stride, whose B is a block of rows of a rearranged copy of the weights (packed once per pass in the GEMM's panel
/// layout, <see cref="CpuGemm.MultiplyPacked"/>: at batch 64 each product packing its own B cost the generator's
/// ConvT(64) forward pass a sixth of its time), and whose C is the pixel's
/// <c>(batch, features)</c> slice (row stride <c>OutPixels x F</c>). A pixel's kernel rows are added one after
/// another. Taps outside the image are never multiplied (im2col multiplies the padding's zeros: 31% of the work of
/// a 5x5 convolution on 7x7 images) and no column matrix goes through memory.
/// </para>
/// <para>
/// The scatter pass (<c>col2im(input x W)</c>) is the same walk from the image's side: for an image pixel, each
/// kernel row that reaches it from a valid output row gives a run of output pixels, one apart, whose kernel columns
/// step back by the stride; the weights are rearranged with the kernel columns flipped and grouped by their
/// remainder modulo the stride, so that such a run's weights are contiguous rows. The weight gradient walks the
/// gather side's runs again and adds each run's product into a tap-major gradient, which is then written back in
/// PyTorch's order.
/// </para>
/// <para>
/// Workers split the output pixels (the weight gradient: the taps; the block path: the blocks, or the partial sums of
/// a weight gradient, whose grouping depends on the shapes alone), each with its own <see cref="CpuGemm"/>; an
/// element's sum runs in the same order whatever the split, and the GEMM's bits depend on its shape alone, so the
/// results are the same for any thread count. Buffers grow to the largest layer and are reused.
/// </para>
/// </remarks>
internal sealed unsafe partial class DirectConvolution : IDisposable
{
    /// <summary>Fewest images for the direct path: each GEMM's rows are the batch, and fewer waste the 6-row tiles.</summary>
    internal const int MinRows = 16;

    /// <summary>Fewest channels on either side for the direct path: below it, a run's k or the GEMM's n is too short.</summary>
    internal const int MinChannels = 16;

    private readonly WorkerPool _pool;
    private readonly CpuGemm[] _gemms;
    private readonly GatherBody _gather;
    private readonly ScatterBody _scatter;
    private readonly GradientBody _gradient;
    private readonly ArrangeBody _arrange;
    private readonly BlockBody _blocks;
    private readonly ReduceBody _reduce;
    private readonly float*[] _columns; // per worker: the column rows of one block of images
    private readonly long[] _columnsCapacity;
    private float* _weights; // the rearranged weights, the tap-major weight gradient, or the partial weight gradients
    private long _capacity;

    // The current call, read by the bodies.
    private ConvGeometry _g = null!;
    private int _rows, _features;
    private float* _images, _matrix, _w;

    public DirectConvolution(WorkerPool pool, bool allowAvx512 = true)
    {
        _pool = pool;
        _wide = allowAvx512 && System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
        _gemms = new CpuGemm[pool.ThreadCount];
        _gather = new GatherBody(this);
        _scatter = new ScatterBody(this);
        _gradient = new GradientBody(this);
        _arrange = new ArrangeBody(this);
        _blocks = new BlockBody(this);
        _reduce = new ReduceBody(this);
        _columns = new float*[pool.ThreadCount];
        _columnsCapacity = new long[pool.ThreadCount];
        _thin = new ThinBody(this);
        _thinReduce = new ThinReduceBody(this);
        _padded = new float*[pool.ThreadCount];
        _paddedCapacity = new long[pool.ThreadCount];
    }

    /// <summary>Whether the direct path serves a convolution of <paramref name="rows"/> images with <paramref name="features"/> on the column side.</summary>
    public static bool Serves(ConvGeometry g, int features, int rows) =>
        rows >= MinRows && g.InChannels >= MinChannels && features >= MinChannels;

    /// <summary><c>output (rows x OutPixels, F) = im2col(images) x weightsᵀ</c>, weights (F, Columns), by the path that <see cref="Serves"/>.</summary>
    public void Gather(float* images, ConvGeometry g, float* weights, int features, float* output, int rows)
    {
        if (ServesThin(g, features, rows))
        {
            ThinGather(images, g, weights, features, output, rows);
            return;
        }

        if (!Serves(g, features, rows))
        {
            RunBlocks(BlockPass.Gather, g, features, rows, images, output, weights);
            return;
        }

        Begin(g, features, rows, images, output, weights);
        Arrange(scatter: false, packed: true);
        _pool.For(g.OutPixels, _gather);
        End();
    }

    /// <summary><c>images = col2im(input x weights)</c>, input (rows x OutPixels, F), weights (F, Columns), by the path that <see cref="Serves"/>.</summary>
    public void Scatter(float* input, ConvGeometry g, float* weights, int features, float* images, int rows)
    {
        if (ServesThin(g, features, rows))
        {
            ThinScatter(input, g, weights, features, images, rows);
            return;
        }

        if (!Serves(g, features, rows))
        {
            RunBlocks(BlockPass.Scatter, g, features, rows, images, input, weights);
            return;
        }

        Begin(g, features, rows, images, input, weights);
        Arrange(scatter: true, packed: true);
        _pool.For(g.InHeight * g.InWidth, _scatter);
        End();
    }

    /// <summary><c>weightGradient = beta * weightGradient + gradientᵀ x im2col(images)</c>, by the path that <see cref="Serves"/>.</summary>
    public void WeightGradient(float* gradient, float* images, ConvGeometry g, float* weightGradient, int features, float beta, int rows)
    {
        if (ServesThin(g, features, rows))
        {
            ThinWeightGradient(gradient, images, g, weightGradient, features, beta, rows);
            return;
        }

        if (!Serves(g, features, rows))
        {
            WeightGradientBlocks(gradient, images, g, weightGradient, features, beta, rows);
            return;
        }

        Begin(g, features, rows, images, gradient, weightGradient);
        Ensure((long)g.Kernel * g.Kernel * g.InChannels * features);
        _pool.For(g.Kernel * g.Kernel, _gradient);
        _arrange.Beta = beta;
        _arrange.Scatter = false;
        _arrange.Back = true;
        _pool.For(features, _arrange);
        End();
    }

    /// <summary>Images per block of the im2col path: their column rows fill about 256 KB (L2), and a block has at least one image.</summary>
    internal static int BlockImages(ConvGeometry g) => (int)Math.Max(1, BlockFloats / ((long)g.OutPixels * g.Columns));

    private const int BlockFloats = 64 * 1024;

    /// <summary>The im2col path's weight gradient is summed as partials in parallel up to this many floats, and as one chain beyond.</summary>
    private const int PartialFloats = 64 * 1024;

    /// <summary>Most partial weight gradients, each over consecutive blocks.</summary>
    private const int MaxPartials = 16;

    /// <summary>
    /// The im2col path's weight gradient. A small one (up to <see cref="PartialFloats"/>) is summed as up to
    /// <see cref="MaxPartials"/> partials over consecutive blocks, in parallel, then added in order; a large one block
    /// after block, each GEMM split among the workers. Either way the grouping depends on the shapes alone.
    /// </summary>
    private void WeightGradientBlocks(float* gradient, float* images, ConvGeometry g, float* weightGradient, int features, float beta, int rows)
    {
        long size = (long)features * g.Columns;
        int blocks = (rows + BlockImages(g) - 1) / BlockImages(g);
        if (blocks == 0)
        {
            Scale(weightGradient, size, beta);
            return;
        }

        if (size > PartialFloats)
        {
            Begin(g, features, rows, images, gradient, weightGradient);
            EnsureColumns(1);
            int per = BlockImages(g);
            for (int b = 0; b < blocks; b++)
            {
                int first = b * per, n = Math.Min(per, rows - first);
                CpuBackend.Im2Col(images + ((long)first * g.InFeatures), g, _columns[0], n);
                _gemms[0].Multiply(true, false, features, g.Columns, n * g.OutPixels, 1f, gradient + ((long)first * g.OutPixels * features), features, _columns[0], g.Columns, b == 0 ? beta : 1f, weightGradient, g.Columns);
            }

            End();
            return;
        }

        // With features in whole vectors, each partial is tap-major (taps rounded up to the tile's 6 rows; features) and
        // built from 6 x 16 tiles that read the gradient rows and the block's columns in place, so neither is packed.
        int partials = Math.Min(MaxPartials, blocks);
        bool tiled = features % 8 == 0;
        Ensure(partials * (tiled ? PartialLength(g, features) : size));
        _blocks.Tiled = tiled;
        RunBlocks(BlockPass.Gradient, g, features, rows, images, gradient, weightGradient, partials);
        _reduce.Partials = partials;
        _reduce.Beta = beta;
        _reduce.Tiled = tiled;
        Begin(g, features, rows, images, gradient, weightGradient);
        _pool.For((int)((size + ReduceBody.Chunk - 1) / ReduceBody.Chunk), _reduce);
        End();
    }

    /// <summary>Floats in one tap-major partial weight gradient: the taps rounded up to whole tiles of MR, times the features.</summary>
    private static long PartialLength(ConvGeometry g, int features) => (long)((g.Columns + CpuGemm.MR - 1) / CpuGemm.MR * CpuGemm.MR) * features;

    // The im2col path's gather (per block: im2col into this worker's scratch, then one GEMM), scatter (one GEMM into
    // the scratch, then col2im) or weight-gradient partials.
    private void RunBlocks(BlockPass pass, ConvGeometry g, int features, int rows, float* images, float* matrix, float* w, int partials = 0)
    {
        Begin(g, features, rows, images, matrix, w);
        EnsureColumns(_pool.ThreadCount);
        int blocks = (rows + BlockImages(g) - 1) / BlockImages(g);
        _blocks.Pass = pass;
        _blocks.Blocks = blocks;
        _blocks.Partials = partials;
        _pool.For(pass == BlockPass.Gradient ? partials : blocks, _blocks);
        End();
    }

    // Grows the first `workers` column scratches to one block; on the caller, never on a worker.
    private void EnsureColumns(int workers)
    {
        long floats = ((long)BlockImages(_g) * _g.OutPixels * _g.Columns) + CpuGemm.MR; // a tile's last rows may read past the block
        for (int i = 0; i < workers; i++)
        {
            Grow(_columns, _columnsCapacity, i, floats);
        }
    }

    /// <summary>Grows buffer <paramref name="i"/> of a per-worker set to at least <paramref name="floats"/>, freeing the old one first.</summary>
    private static void Grow(float*[] buffers, long[] capacities, int i, long floats)
    {
        if (capacities[i] >= floats)
        {
            return;
        }

        NativeMemory.AlignedFree(buffers[i]);
        buffers[i] = null;
        capacities[i] = 0;
        buffers[i] = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        capacities[i] = floats;
    }

    /// <summary>Frees a per-worker set of buffers.</summary>
    private static void Free(float*[] buffers, long[] capacities)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            NativeMemory.AlignedFree(buffers[i]);
            buffers[i] = null;
            capacities[i] = 0;
        }
    }

    private static void Scale(float* values, long length, float beta)
    {
        var span = new Span<float>(values, checked((int)length));
        if (beta == 0f)
        {
            span.Clear();
        }
        else if (beta != 1f)
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] *= beta;
            }
        }
    }

    private void Begin(ConvGeometry g, int features, int rows, float* images, float* matrix, float* w)
    {
        (_g, _features, _rows) = (g, features, rows);
        _images = images;
        _matrix = matrix;
        _w = w;
        for (int i = 0; i < _gemms.Length; i++)
        {
            _gemms[i] ??= new CpuGemm(_pool);
        }
    }

    private void End()
    {
        _images = null;
        _matrix = null;
        _w = null;
    }

    /// <summary>Rows per kernel row of the scatter layout: the kernel columns of one remainder modulo the stride.</summary>
    private static int PhaseTaps(ConvGeometry g) => (g.Kernel + g.Stride - 1) / g.Stride;

    /// <summary>
    /// Copies the weights into the layout the pass reads (see <see cref="ArrangeBody"/>): with <paramref name="packed"/>,
    /// as <see cref="CpuGemm.MultiplyPacked"/> reads them, the columns past the last zero (as its own packing pads them),
    /// so that the direct path's many products over the batch do not each pack them again.
    /// </summary>
    private void Arrange(bool scatter, bool packed)
    {
        var g = _g;
        int taps = scatter ? g.Kernel * g.Stride * PhaseTaps(g) : g.Kernel * g.Kernel;
        int rows = taps * (scatter ? _features : g.InChannels), columns = scatter ? g.InChannels : _features;
        long floats = packed ? CpuGemm.PackedFloats(rows, columns) : (long)rows * columns;
        Ensure(floats);
        if (packed && columns % CpuGemm.NR != 0)
        {
            new Span<float>(_weights, (int)floats).Clear();
        }

        _arrange.Scatter = scatter;
        _arrange.Packed = packed;
        _arrange.Back = false;
        _pool.For(_features, _arrange);
    }

    private void Ensure(long floats)
    {
        if (floats <= _capacity)
        {
            return;
        }

        NativeMemory.AlignedFree(_weights);
        _weights = null;
        _capacity = 0;
        _weights = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        _capacity = floats;
    }

    public void Dispose()
    {
        DisposeThin();
        NativeMemory.AlignedFree(_weights);
        _weights = null;
        _capacity = 0;
        Free(_columns, _columnsCapacity);
    }

    /// <summary>The kernel columns of output column <paramref name="ow"/> whose taps fall inside the image: <c>[first, last]</c>, empty when first &gt; last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int First, int Last) ColumnTaps(ConvGeometry g, int ow)
    {
        int origin = (ow * g.Stride) - g.PadLeft; // image column of kernel column 0
        return (Math.Max(0, -origin), Math.Min(g.Kernel - 1, g.InWidth - 1 - origin));
    }

    /// <summary>Output pixels <c>[start, end)</c>: each one's kernel rows inside the image, added one GEMM at a time.</summary>
    private sealed class GatherBody(DirectConvolution owner) : IParallelBody
    {
        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            var g = o._g;
            var gemm = o._gemms[worker];
            int c = g.InChannels, k = g.Kernel, f = o._features, rows = o._rows;
            int lda = g.InFeatures, ldc = g.OutPixels * f;
            for (int p = start; p < end; p++)
            {
                int oh = p / g.OutWidth, ow = p % g.OutWidth;
                float* output = o._matrix + ((long)p * f);
                var (first, last) = ColumnTaps(g, ow);
                float beta = 0f;
                if (first <= last)
                {
                    int iw = (ow * g.Stride) - g.PadLeft + first;
                    int run = (last - first + 1) * c;
                    for (int kh = 0; kh < k; kh++)
                    {
                        int ih = (oh * g.Stride) - g.PadTop + kh;
                        if ((uint)ih >= (uint)g.InHeight)
                        {
                            continue;
                        }

                        float* a = o._images + ((((long)ih * g.InWidth) + iw) * c);
                        gemm.MultiplyPacked(rows, f, run, a, lda, o._weights, k * k * c, ((kh * k) + first) * c, beta, output, ldc);
                        beta = 1f;
                    }
                }

                if (beta == 0f)
                {
                    Clear(output, rows, f, ldc); // no tap inside the image
                }
            }
        }
    }

    /// <summary>
    /// Image pixels <c>[start, end)</c>: for each kernel row that reaches the pixel from an output row, the run of
    /// output pixels on that row that reach it, one GEMM each.
    /// </summary>
    private sealed class ScatterBody(DirectConvolution owner) : IParallelBody
    {
        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            var g = o._g;
            var gemm = o._gemms[worker];
            int c = g.InChannels, k = g.Kernel, s = g.Stride, f = o._features, rows = o._rows, phases = PhaseTaps(g);
            int lda = g.OutPixels * f, ldc = g.InFeatures;
            for (int p = start; p < end; p++)
            {
                int ih = p / g.InWidth, iw = p % g.InWidth;
                float* image = o._images + ((long)p * c);
                int x = iw + g.PadLeft; // = ow * s + kw
                int ow0 = Math.Max(0, CeilDiv(x - k + 1, s)), ow1 = Math.Min(g.OutWidth - 1, x / s);
                float beta = 0f;
                if (ow0 <= ow1)
                {
                    int run = (ow1 - ow0 + 1) * f;
                    int flipped = k - 1 - (x - (ow0 * s)); // k - 1 - kw of the run's first output pixel; steps by s
                    int phase = flipped % s, m0 = flipped / s;
                    int y = ih + g.PadTop; // = oh * s + kh
                    for (int kh = y % s; kh < k; kh += s)
                    {
                        int oh = (y - kh) / s;
                        if (oh >= g.OutHeight)
                        {
                            continue;
                        }

                        if (oh < 0)
                        {
                            break;
                        }

                        float* a = o._matrix + (((long)oh * g.OutWidth) + ow0) * f;
                        gemm.MultiplyPacked(rows, c, run, a, lda, o._weights, k * s * phases * f, ((((kh * s) + phase) * phases) + m0) * f, beta, image, ldc);
                        beta = 1f;
                    }
                }

                if (beta == 0f)
                {
                    Clear(image, rows, c, ldc);
                }
            }
        }

        private static int CeilDiv(int x, int y) => x >= 0 ? (x + y - 1) / y : -(-x / y);
    }

    /// <summary>
    /// Taps <c>[start, end)</c> of the tap-major weight gradient (kernel row, kernel column, channel; features): zeroed,
    /// then each output pixel's runs that cover them added in pixel order.
    /// </summary>
    private sealed class GradientBody(DirectConvolution owner) : IParallelBody
    {
        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            var g = o._g;
            var gemm = o._gemms[worker];
            int c = g.InChannels, k = g.Kernel, f = o._features, rows = o._rows;
            int lda = g.InFeatures, ldb = g.OutPixels * f;
            new Span<float>(o._weights + ((long)start * c * f), checked((end - start) * c * f)).Clear();

            // Kernel row by kernel row, so that the row's block of the gradient (k taps x C x F) stays in L2 while every
            // pixel adds to it; each tap still sums the pixels in order.
            for (int kh = start / k; kh <= (end - 1) / k; kh++)
            {
                for (int p = 0; p < g.OutPixels; p++)
                {
                    int oh = p / g.OutWidth, ow = p % g.OutWidth;
                    var (first, last) = ColumnTaps(g, ow);
                    int ih = (oh * g.Stride) - g.PadTop + kh;
                    int t0 = Math.Max(start, (kh * k) + first), t1 = Math.Min(end, (kh * k) + last + 1);
                    if ((uint)ih >= (uint)g.InHeight || t0 >= t1)
                    {
                        continue;
                    }

                    int iw = (ow * g.Stride) - g.PadLeft + (t0 - (kh * k));
                    float* a = o._images + ((((long)ih * g.InWidth) + iw) * c);
                    float* dy = o._matrix + ((long)p * f);
                    gemm.Multiply(true, false, (t1 - t0) * c, f, rows, 1f, a, lda, dy, ldb, 1f, o._weights + ((long)t0 * c * f), f);
                }
            }
        }
    }

    /// <summary>
    /// Features <c>[start, end)</c> of the rearrangement between PyTorch's (F, C x k x k) weights and the passes' layouts:
    /// the gather's and the gradient's (kh, kw, c; f), or the scatter's (kh, kw' mod s, kw' / s, f; c) with the
    /// kernel columns flipped (kw' = k - 1 - kw), either packed for <see cref="CpuGemm.MultiplyPacked"/> (the direct
    /// path) or row-major (the thin path); back writes the gradient into PyTorch's order with beta.
    /// </summary>
    private sealed class ArrangeBody(DirectConvolution owner) : IParallelBody
    {
        public bool Scatter;
        public bool Packed;
        public bool Back;
        public float Beta;

        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            var g = o._g;
            int c = g.InChannels, k = g.Kernel, kk = k * k, s = g.Stride, f = o._features, phases = PhaseTaps(g);
            for (int feature = start; feature < end; feature++)
            {
                float* row = o._w + ((long)feature * c * kk); // [c][kh][kw]
                for (int ch = 0; ch < c; ch++)
                {
                    for (int kh = 0; kh < k; kh++)
                    {
                        for (int kw = 0; kw < k; kw++)
                        {
                            float* w = row + (ch * kk) + (kh * k) + kw;
                            if (Scatter)
                            {
                                // Rows (kh, phase, m, feature), columns the channels.
                                int flipped = k - 1 - kw;
                                long r = (((((long)kh * s) + (flipped % s)) * phases) + (flipped / s)) * f + feature;
                                o._weights[Packed ? CpuGemm.PackedIndex(r, ch, k * s * phases * f) : (r * c) + ch] = *w;
                            }
                            else if (!Back)
                            {
                                // Rows (kh, kw, channel), columns the features.
                                long r = ((((long)kh * k) + kw) * c) + ch;
                                o._weights[Packed ? CpuGemm.PackedIndex(r, feature, kk * c) : (r * f) + feature] = *w;
                            }
                            else
                            {
                                float* t = o._weights + ((((((long)kh * k) + kw) * c) + ch) * f) + feature;
                                *w = Beta == 0f ? *t : (Beta * *w) + *t;
                            }
                        }
                    }
                }
            }
        }
    }

    private enum BlockPass
    {
        Gather,
        Scatter,
        Gradient,
    }

    /// <summary>
    /// Blocks <c>[start, end)</c> of images for the gather and the scatter; for the gradient, partials
    /// <c>[start, end)</c>, each the chain of its blocks' products.
    /// </summary>
    private sealed class BlockBody(DirectConvolution owner) : IParallelBody
    {
        public BlockPass Pass;
        public int Blocks;
        public int Partials;
        public bool Tiled;

        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            var g = o._g;
            var gemm = o._gemms[worker];
            float* columns = o._columns[worker];
            int f = o._features, rows = o._rows, per = BlockImages(g), pixels = g.OutPixels, cols = g.Columns;
            for (int item = start; item < end; item++)
            {
                int b0 = item, b1 = item + 1;
                if (Pass == BlockPass.Gradient)
                {
                    (b0, b1) = ((int)((long)item * Blocks / Partials), (int)((long)(item + 1) * Blocks / Partials));
                }

                for (int b = b0; b < b1; b++)
                {
                    int first = b * per, n = Math.Min(per, rows - first);
                    float* images = o._images + ((long)first * g.InFeatures);
                    float* matrix = o._matrix + ((long)first * pixels * f);
                    switch (Pass)
                    {
                        case BlockPass.Gather:
                            CpuBackend.Im2Col(images, g, columns, n);
                            gemm.Multiply(false, true, n * pixels, f, cols, 1f, columns, cols, o._w, cols, 0f, matrix, f);
                            break;
                        case BlockPass.Scatter:
                            gemm.Multiply(false, false, n * pixels, cols, f, 1f, matrix, f, o._w, cols, 0f, columns, cols);
                            CpuBackend.Col2Im(columns, g, images, n);
                            break;
                        default:
                            CpuBackend.Im2Col(images, g, columns, n);
                            if (!Tiled)
                            {
                                gemm.Multiply(true, false, f, cols, n * pixels, 1f, matrix, f, columns, cols, b == b0 ? 0f : 1f, o._weights + ((long)item * f * cols), cols);
                                break;
                            }

                            // Tap rows past the last read the next column row (or the slack) into rows the reduction skips.
                            float* partial = o._weights + (item * PartialLength(g, f));
                            for (int jp = 0; jp < f; jp += CpuGemm.NR)
                            {
                                for (int ip = 0; ip < cols; ip += CpuGemm.MR)
                                {
                                    gemm.Tile(n * pixels, columns + ip, 1, cols, matrix + jp, f, partial + ((long)ip * f) + jp, f, b == b0 ? 0f : 1f, Math.Min(CpuGemm.NR, f - jp));
                                }
                            }

                            break;
                    }
                }
            }
        }
    }

    /// <summary>Chunks <c>[start, end)</c> of the weight gradient: its partials added in order, then beta times the old value.</summary>
    private sealed class ReduceBody(DirectConvolution owner) : IParallelBody
    {
        public const int Chunk = 1024;

        public int Partials;
        public float Beta;
        public bool Tiled;

        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            int f = o._features, cols = o._g.Columns;
            long size = (long)f * cols, stride = Tiled ? PartialLength(o._g, f) : size;
            for (long i = (long)start * Chunk; i < Math.Min(size, (long)end * Chunk); i++)
            {
                long at = Tiled ? ((i % cols) * f) + (i / cols) : i; // the tap-major partials hold (tap, feature)
                float sum = o._weights[at];
                for (int p = 1; p < Partials; p++)
                {
                    sum += o._weights[(p * stride) + at];
                }

                o._w[i] = Beta == 0f ? sum : (Beta * o._w[i]) + sum;
            }
        }
    }

    private static void Clear(float* matrix, int rows, int cols, int ld)
    {
        for (int r = 0; r < rows; r++)
        {
            new Span<float>(matrix + ((long)r * ld), cols).Clear();
        }
    }
}
