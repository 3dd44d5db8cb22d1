using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GanDsl.Backends.Cpu;

/// <summary>
/// The thin path: convolutions with fewer than <see cref="MinChannels"/> channels on the image side (MNIST's 1-channel
/// images: a discriminator's first layer, a generator's last) and features in whole 8-float vectors. im2col's GEMM has
/// k or n of C·k² there (25 for 5x5), too short for the GEMM's panels, so each pass has its own register-blocked kernel
/// that reads the taps straight from a zero-padded copy of the images.
/// </summary>
/// <remarks>
/// <para>
/// A worker copies <see cref="ThinImages"/> images at a time into its own zero-padded scratch (channels-last, padded so
/// that every tap of every output pixel lands inside it), then walks the output pixels. The taps are in channels-last
/// order <c>(kh, kw, c)</c>, tap t at a fixed offset from the output pixel's origin in the padded image.
/// </para>
/// <list type="bullet">
/// <item>Forward (<c>im2col(images) x Wᵀ</c>): a tile is the same output pixel of 6 images by up to 32 features;
/// each tap broadcasts 6 padded-image values against a row of the tap-major weights.</item>
/// <item>Scatter (<c>col2im(input x W)</c>): a tile is the same output pixel of 6 images by up to 32 taps, summed over
/// the features, then each kernel row's run of taps is added into the padded images; a remainder of one or two taps
/// past whole vectors is a dot product. The padded images are copied back at the end.</item>
/// <item>Weight gradient: a tile is up to 6 taps by up to 32 features, summed over an image's output pixels, then added
/// to a partial; fixed groups of images make the partials, added in order, so the bits do not depend on the threads. The
/// next image's gradient is prefetched into L2 meanwhile: the pass reads it from memory once, and waited on it without
/// (10% of the discriminator's first layer's pass at batch 512).</item>
/// </list>
/// <para>
/// Where AVX-512 exists, the tiles run in 16-float vectors (features in whole 16s; the scatter's taps as 16s and one
/// 8-float vector for a run of 24), each element's sum in the same order, so with the same bits. Two parts of the
/// scatter are its own there, and sum in another order (<see cref="WideScatterOrder"/>):
/// </para>
/// <list type="bullet">
/// <item>A tile of 24 taps (5x5 of one channel, with its 25th tap as a dot product) takes two features at a time
/// (<see cref="ScatterTilePairs{TD}"/>): the 8-float vector left a quarter of each FMA idle, and a broadcast per FMA and a
/// half made the tile wait on loads.</item>
/// <item>Where an image row's span of runs fits two 16-float vectors (28x28 images, stride 2), the tiles of a whole row
/// of output pixels are computed first; then each kernel row's runs are summed in registers, six images at a time, and
/// added to the image row once (<c>ThinBody.AddRow</c>), in place of a read-modify-write of the images per pixel and
/// kernel row.</item>
/// </list>
/// <para>
/// Together they took the generator's last layer's forward pass and the discriminator's first layer's input gradient
/// (the DCGAN sample's, batch 256) from about 65% to about 85% of the rate of a square GEMM of the same FLOPs.
/// </para>
/// <para>
/// Every output element's sum runs in an order set by the shapes alone (taps, features, or an image's pixels then the
/// images in order), so the results are the same for any thread count. Multiplying the padding's zeros costs 8% of
/// the work for a 5x5 kernel of stride 2 on 28x28 images.
/// </para>
/// </remarks>
internal sealed unsafe partial class DirectConvolution
{
    /// <summary>Images in a tile of the thin path's forward and scatter passes.</summary>
    internal const int ThinImages = 6;

    /// <summary>Most floats in one padded image of the thin path (the scratch holds <see cref="ThinImages"/> of them).</summary>
    private const long MaxPaddedFloats = 1 << 20;

    private readonly bool _wide; // AVX-512: the thin tiles in 16-float vectors where the features (or taps) allow
    private readonly ThinBody _thin;
    private readonly ThinReduceBody _thinReduce;
    private readonly float*[] _padded; // per worker: ThinImages padded images, two cols tiles (a row of output pixels' for AddRow), then a dummy output row
    private readonly long[] _paddedCapacity;
    private int* _offsets; // the taps' offsets in a padded image, then the output pixels' origins
    private long _offsetsCapacity;

    /// <summary>
    /// Whether the thin path serves a convolution: not the direct path, fewer than <see cref="MinChannels"/> channels
    /// on the image side, features in whole 8-float vectors, and AVX2 with FMA.
    /// </summary>
    public static bool ServesThin(ConvGeometry g, int features, int rows) =>
        !Serves(g, features, rows) && g.InChannels < MinChannels && features >= 8 && features % 8 == 0 &&
        Fma.IsSupported && Avx2.IsSupported && PaddedFloats(g) <= MaxPaddedFloats;

    /// <summary>Floats of one padded image: every tap of every output pixel lands inside, and so does the image.</summary>
    private static long PaddedFloats(ConvGeometry g)
    {
        var (height, width) = PaddedSize(g);
        return (long)height * width * g.InChannels;
    }

    private static (int Height, int Width) PaddedSize(ConvGeometry g) =>
        (Math.Max(((g.OutHeight - 1) * g.Stride) + g.Kernel, g.PadTop + g.InHeight),
         Math.Max(((g.OutWidth - 1) * g.Stride) + g.Kernel, g.PadLeft + g.InWidth));

    /// <summary>Floats between padded images in a worker's scratch: one image and a vector of slack, in whole cache lines.</summary>
    private static long PaddedStride(ConvGeometry g) => (PaddedFloats(g) + 8 + 15) / 16 * 16;

    /// <summary>Taps of the scatter's vector tiles: whole vectors, and a remainder of three or more rounded up to one.</summary>
    private static int VectorTaps(ConvGeometry g) => g.Columns % 8 is 1 or 2 ? g.Columns / 8 * 8 : (g.Columns + 7) / 8 * 8;

    /// <summary>
    /// Whether the 512-bit scatter takes its last tile of 24 taps two features at a time (<see cref="ScatterTilePairs{TD}"/>):
    /// vector taps of 16s and one run of 8 (24 for a 5x5 kernel of one channel), features in whole 16-float vectors.
    /// </summary>
    private bool PairsScatter(int vectorTaps, int features) => _wide && PairsFit(vectorTaps, features);

    private static bool PairsFit(int vectorTaps, int features) => vectorTaps % 32 == 24 && features % 16 == 0;

    /// <summary>
    /// Whether the 512-bit scatter sums each kernel row's runs over a row of output pixels in registers
    /// (<c>ThinBody.AddRow</c>): the image row the runs cover spans two 16-float vectors, and a run fits one.
    /// </summary>
    private bool RowsInRegisters(ConvGeometry g) => _wide && RowsFit(g);

    private static bool RowsFit(ConvGeometry g) =>
        g.Kernel * g.InChannels <= 16 && ((g.OutWidth - 1) * g.Stride * g.InChannels) + (g.Kernel * g.InChannels) is > 16 and <= 32;

    /// <summary>
    /// Whether the thin scatter's 512-bit path sums in an order of its own (<see cref="ScatterTilePairs{TD}"/>,
    /// <c>ThinBody.AddRow</c>), so that its bits differ from the 256-bit path's; each is the same for any thread count.
    /// </summary>
    internal static bool WideScatterOrder(ConvGeometry g, int features) => PairsFit(VectorTaps(g), features) || RowsFit(g);

    /// <summary>Floats per row of the scatter's cols tile: every tap, and a vector of slack for the runs' loads.</summary>
    private static int ColsStride(ConvGeometry g) => ((Math.Max(g.Columns, VectorTaps(g)) + 8) + 7) / 8 * 8;

    private void ThinGather(float* images, ConvGeometry g, float* weights, int features, float* output, int rows)
    {
        Begin(g, features, rows, images, output, weights);
        Arrange(scatter: false, packed: false); // (kh, kw, c; f): the tap-major rows the forward tiles read
        PrepareThin();
        _thin.Pass = BlockPass.Gather;
        _pool.For((rows + ThinImages - 1) / ThinImages, _thin);
        End();
    }

    private void ThinScatter(float* input, ConvGeometry g, float* weights, int features, float* images, int rows)
    {
        Begin(g, features, rows, images, input, weights);
        ArrangeScatterRows();
        PrepareThin();
        _thin.Pass = BlockPass.Scatter;
        _pool.For((rows + ThinImages - 1) / ThinImages, _thin);
        End();
    }

    private void ThinWeightGradient(float* gradient, float* images, ConvGeometry g, float* weightGradient, int features, float beta, int rows)
    {
        long size = (long)features * g.Columns;
        if (rows == 0)
        {
            Scale(weightGradient, size, beta);
            return;
        }

        Begin(g, features, rows, images, gradient, weightGradient);
        int partials = Math.Min(MaxPartials, rows);
        Ensure(partials * size);
        PrepareThin();
        _thin.Pass = BlockPass.Gradient;
        _thin.Partials = partials;
        _pool.For(partials, _thin);
        _thinReduce.Partials = partials;
        _thinReduce.Beta = beta;
        _pool.For((int)((size + ReduceBody.Chunk - 1) / ReduceBody.Chunk), _thinReduce);
        End();
    }

    // The scatter's weights: (f; kh, kw, c) rows of VectorTaps taps, zeros past the last, then the remainder taps'
    // columns as (tap; f) rows for the dot products.
    private void ArrangeScatterRows()
    {
        var g = _g;
        int f = _features, c = g.InChannels, k = g.Kernel, kk = k * k, taps = g.Columns, vectorTaps = VectorTaps(g);
        long dotFloats = (long)Math.Max(0, taps - vectorTaps) * f;
        Ensure(((long)f * vectorTaps) + dotFloats + (PairsScatter(vectorTaps, f) ? 24L * f : 0));
        float* rowsOut = _weights, dots = _weights + ((long)f * vectorTaps);
        for (int feature = 0; feature < f; feature++)
        {
            float* source = _w + ((long)feature * taps); // [c][kh][kw]
            float* row = rowsOut + ((long)feature * vectorTaps);
            for (int t = 0; t < vectorTaps; t++)
            {
                row[t] = 0f;
            }

            for (int ch = 0; ch < c; ch++)
            {
                for (int kt = 0; kt < kk; kt++)
                {
                    int t = (kt * c) + ch;
                    if (t < vectorTaps)
                    {
                        row[t] = source[(ch * kk) + kt];
                    }
                    else
                    {
                        dots[((long)(t - vectorTaps) * f) + feature] = source[(ch * kk) + kt];
                    }
                }
            }
        }

        // The 512-bit tile's 24 taps, a pair of features to each of 3 vectors: lanes 2i and 2i + 1 of vector v are tap
        // vectorTaps - 24 + 8v + i at features 2j and 2j + 1.
        if (PairsScatter(vectorTaps, f))
        {
            float* pairs = dots + dotFloats;
            for (int feature = 0; feature < f; feature++)
            {
                for (int t = 0; t < 24; t++)
                {
                    pairs[((feature >> 1) * 48) + ((t >> 3) * 16) + (2 * (t & 7)) + (feature & 1)] = rowsOut[((long)feature * vectorTaps) + vectorTaps - 24 + t];
                }
            }
        }
    }

    // The taps' offsets and the output pixels' origins in a padded image, the offsets 0 to F - 1, and each worker's scratch;
    // on the caller.
    private void PrepareThin()
    {
        var g = _g;
        var (_, width) = PaddedSize(g);
        int c = g.InChannels, k = g.Kernel, taps = g.Columns;
        long need = taps + g.OutPixels + _features;
        if (_offsetsCapacity < need)
        {
            NativeMemory.AlignedFree(_offsets);
            _offsets = null;
            _offsetsCapacity = 0;
            _offsets = (int*)NativeMemory.AlignedAlloc((nuint)(need * sizeof(int)), 64);
            _offsetsCapacity = need;
        }

        for (int kh = 0; kh < k; kh++)
        {
            for (int kw = 0; kw < k; kw++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    _offsets[(((kh * k) + kw) * c) + ch] = (((kh * width) + kw) * c) + ch;
                }
            }
        }

        int* origins = _offsets + taps;
        for (int p = 0; p < g.OutPixels; p++)
        {
            origins[p] = ((((p / g.OutWidth) * g.Stride * width) + ((p % g.OutWidth) * g.Stride)) * c);
        }

        int* identity = origins + g.OutPixels; // the scatter tile's offsets: feature q at q
        for (int q = 0; q < _features; q++)
        {
            identity[q] = q;
        }

        long floats = (ThinImages * PaddedStride(g)) + ((RowsInRegisters(g) ? Math.Max(2L, g.OutWidth) : 2L) * ThinImages * ColsStride(g)) + Math.Max(_features, 32);
        for (int i = 0; i < _padded.Length; i++)
        {
            Grow(_padded, _paddedCapacity, i, floats);
        }
    }

    private void DisposeThin()
    {
        NativeMemory.AlignedFree(_offsets);
        _offsets = null;
        _offsetsCapacity = 0;
        Free(_padded, _paddedCapacity);
    }

    /// <summary>Copies image <paramref name="image"/> into the zero-padded <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pad(ConvGeometry g, float* image, float* slot)
    {
        var (height, width) = PaddedSize(g);
        int c = g.InChannels, run = g.InWidth * c;
        new Span<float>(slot, height * width * c).Clear();
        for (int ih = 0; ih < g.InHeight; ih++)
        {
            new ReadOnlySpan<float>(image + ((long)ih * run), run).CopyTo(new Span<float>(slot + ((((long)(g.PadTop + ih) * width) + g.PadLeft) * c), run));
        }
    }

    /// <summary>Copies the image's part of the padded <paramref name="slot"/> back into <paramref name="image"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpad(ConvGeometry g, float* slot, float* image)
    {
        var (_, width) = PaddedSize(g);
        int c = g.InChannels, run = g.InWidth * c;
        for (int ih = 0; ih < g.InHeight; ih++)
        {
            new ReadOnlySpan<float>(slot + ((((long)(g.PadTop + ih) * width) + g.PadLeft) * c), run).CopyTo(new Span<float>(image + ((long)ih * run), run));
        }
    }

    /// <summary>
    /// Blocks <c>[start, end)</c> of <see cref="ThinImages"/> images for the forward and the scatter passes; for the
    /// weight gradient, partials <c>[start, end)</c>, each over its group of images.
    /// </summary>
    private sealed class ThinBody(DirectConvolution owner) : IParallelBody
    {
        public BlockPass Pass;
        public int Partials;

        public void Execute(int start, int end, int worker)
        {
            for (int item = start; item < end; item++)
            {
                switch (Pass)
                {
                    case BlockPass.Gather:
                        Gather(item, worker);
                        break;
                    case BlockPass.Scatter:
                        Scatter(item, worker);
                        break;
                    default:
                        Gradient(item, worker);
                        break;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Gather(int block, int worker)
        {
            var o = owner;
            var g = o._g;
            int f = o._features, taps = g.Columns, n0 = block * ThinImages, count = Math.Min(ThinImages, o._rows - n0);
            bool wide = o._wide && f % 16 == 0;
            long stride = PaddedStride(g);
            float* scratch = o._padded[worker];
            float* dummy = scratch + (ThinImages * stride) + (2L * ThinImages * ColsStride(g)); // the rows past the batch write here
            for (int r = 0; r < count; r++)
            {
                Pad(g, o._images + ((long)(n0 + r) * g.InFeatures), scratch + (r * stride));
            }

            int* offsets = o._offsets, origins = o._offsets + taps;
            float** a = stackalloc float*[ThinImages];
            float** c = stackalloc float*[ThinImages];
            for (int p = 0; p < g.OutPixels; p++)
            {
                for (int r = 0; r < ThinImages; r++)
                {
                    a[r] = scratch + ((r < count ? r : 0) * stride) + origins[p];
                    c[r] = r < count ? o._matrix + ((((long)(n0 + r) * g.OutPixels) + p) * f) : dummy;
                }

                if (wide)
                {
                    for (int f0 = 0; f0 < f; f0 += 64)
                    {
                        float* w = o._weights + f0;
                        switch (Math.Min(4, (f - f0) / 16))
                        {
                            case 4: TileWide<Four>(a, offsets, taps, w, f, c, f0); break;
                            case 3: TileWide<Three>(a, offsets, taps, w, f, c, f0); break;
                            case 2: TileWide<Two>(a, offsets, taps, w, f, c, f0); break;
                            default: TileWide<One>(a, offsets, taps, w, f, c, f0); break;
                        }
                    }

                    continue;
                }

                for (int f0 = 0; f0 < f; f0 += 32)
                {
                    float* w = o._weights + f0;
                    switch (Math.Min(4, (f - f0) / 8))
                    {
                        case 4: Tile<Four>(a, offsets, taps, w, f, c, f0); break;
                        case 3: Tile<Three>(a, offsets, taps, w, f, c, f0); break;
                        case 2: Tile<Two>(a, offsets, taps, w, f, c, f0); break;
                        default: Tile<One>(a, offsets, taps, w, f, c, f0); break;
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scatter(int block, int worker)
        {
            var o = owner;
            var g = o._g;
            int f = o._features, taps = g.Columns, vectorTaps = VectorTaps(g), colsStride = ColsStride(g);
            int n0 = block * ThinImages, count = Math.Min(ThinImages, o._rows - n0);
            var (_, width) = PaddedSize(g);
            long stride = PaddedStride(g);
            float* scratch = o._padded[worker];
            for (int r = 0; r < ThinImages; r++)
            {
                new Span<float>(scratch + (r * stride), (int)stride).Clear();
            }

            // Two cols tiles: pixel p - 1's is added into the padded images after pixel p's is computed, so that the runs'
            // unaligned loads do not straddle vectors stored just before.
            int run = g.Kernel * g.InChannels, rowStep = width * g.InChannels;
            var lastMask = Mask(run % 8 == 0 ? 8 : run % 8);
            int* origins = o._offsets + taps;
            float** dy = stackalloc float*[ThinImages];
            float** rows = stackalloc float*[ThinImages];
            int* identity = origins + g.OutPixels;
            float* dots = o._weights + ((long)f * vectorTaps);
            float* pairs = o.PairsScatter(vectorTaps, f) ? dots + ((long)Math.Max(0, taps - vectorTaps) * f) : null;
            bool byRows = o.RowsInRegisters(g);
            for (int r = 0; r < ThinImages; r++)
            {
                // Rows past the batch's last image repeat the block's first: their sums are never added, or (AddRow) only into
                // scratch images that are never copied out.
                dy[r] = o._matrix + ((long)(n0 + (r < count ? r : 0)) * g.OutPixels * f);
            }

            for (int p = 0, slot = 0; p <= g.OutPixels; p++)
            {
                if (p < g.OutPixels)
                {
                    float* cols = scratch + (ThinImages * stride) + (slot * ThinImages * colsStride);
                    for (int r = 0; r < ThinImages; r++)
                    {
                        rows[r] = cols + (r * colsStride);
                    }

                    // A single remainder tap (5x5, 3x3 or 7x7 of one channel) rides along in the last vector tile.
                    int dotted = vectorTaps;
                    for (int t0 = 0; t0 < vectorTaps; t0 += 32)
                    {
                        float* w = o._weights + t0;
                        int vectors = Math.Min(4, (vectorTaps - t0) / 8);
                        if (o._wide && vectors > 1)
                        {
                            // 16-float vectors of taps, and an 8-float one for a run of 24.
                            bool dot = vectors < 4 && taps == vectorTaps + 1;
                            if (vectors == 3 && pairs is not null)
                            {
                                if (dot)
                                {
                                    ScatterTilePairs<One>(dy, f, pairs, dots, cols + t0, colsStride, vectorTaps - t0);
                                }
                                else
                                {
                                    ScatterTilePairs<None>(dy, f, pairs, dots, cols + t0, colsStride, 0);
                                }

                                dotted = dot ? taps : dotted;
                                continue;
                            }

                            switch (vectors, dot)
                            {
                                case (4, _): ScatterTileWide<Two, None, None>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, 0); break;
                                case (3, false): ScatterTileWide<One, One, None>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, 0); break;
                                case (3, true): ScatterTileWide<One, One, One>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, vectorTaps - t0); break;
                                case (2, false): ScatterTileWide<One, None, None>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, 0); break;
                                default: ScatterTileWide<One, None, One>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, vectorTaps - t0); break;
                            }

                            dotted = dot ? taps : dotted;
                            continue;
                        }

                        if (vectors < 4 && taps == vectorTaps + 1)
                        {
                            switch (vectors)
                            {
                                case 3: ScatterTileDot<Three>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, vectorTaps - t0); break;
                                case 2: ScatterTileDot<Two>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, vectorTaps - t0); break;
                                default: ScatterTileDot<One>(dy, f, w, vectorTaps, dots, cols + t0, colsStride, vectorTaps - t0); break;
                            }

                            dotted = taps;
                            continue;
                        }

                        switch (vectors)
                        {
                            case 4: Tile<Four>(dy, identity, f, w, vectorTaps, rows, t0); break;
                            case 3: Tile<Three>(dy, identity, f, w, vectorTaps, rows, t0); break;
                            case 2: Tile<Two>(dy, identity, f, w, vectorTaps, rows, t0); break;
                            default: Tile<One>(dy, identity, f, w, vectorTaps, rows, t0); break;
                        }
                    }

                    for (int r = 0; r < count && dotted < taps; r++)
                    {
                        for (int t = dotted; t < taps; t++)
                        {
                            cols[(r * colsStride) + t] = Dot(dy[r], dots + ((long)(t - vectorTaps) * f), f);
                        }
                    }

                    for (int r = 0; r < ThinImages; r++)
                    {
                        dy[r] += f; // the next pixel
                    }

                    if (byRows && slot == g.OutWidth - 1)
                    {
                        AddRow(g, scratch + (ThinImages * stride), colsStride, scratch + origins[p - slot], stride, rowStep);
                    }

                    slot = byRows ? (slot + 1 == g.OutWidth ? 0 : slot + 1) : slot ^ 1;
                }

                if (p == 0 || byRows)
                {
                    continue;
                }

                // Pixel p - 1: each kernel row's taps are one run in the padded image; the last vector of a run is masked
                // so that the lanes past it add zero.
                float* previous = scratch + (ThinImages * stride) + (((p - 1) & 1) * ThinImages * colsStride);
                for (int r = 0; r < count; r++)
                {
                    float* row = previous + (r * colsStride);
                    float* image = scratch + (r * stride) + origins[p - 1];
                    if (run <= 8)
                    {
                        for (int kh = 0; kh < g.Kernel; kh++)
                        {
                            float* target = image + (kh * rowStep);
                            Avx.Store(target, Avx.Add(Avx.LoadVector256(target), Avx.And(Avx.LoadVector256(row + (kh * run)), lastMask)));
                        }

                        continue;
                    }

                    for (int kh = 0; kh < g.Kernel; kh++)
                    {
                        float* source = row + (kh * run), target = image + (kh * rowStep);
                        int j = 0;
                        for (; j + 8 < run; j += 8)
                        {
                            Avx.Store(target + j, Avx.Add(Avx.LoadVector256(target + j), Avx.LoadVector256(source + j)));
                        }

                        Avx.Store(target + j, Avx.Add(Avx.LoadVector256(target + j), Avx.And(Avx.LoadVector256(source + j), lastMask)));
                    }
                }
            }

            for (int r = 0; r < count; r++)
            {
                Unpad(g, scratch + (r * stride), o._images + ((long)(n0 + r) * g.InFeatures));
            }
        }

        /// <summary>
        /// A row of output pixels' cols (slot ow of <paramref name="cols"/>: the row's pixel ow, <see cref="ThinImages"/>
        /// rows of <paramref name="colsStride"/>) added into the <see cref="ThinImages"/> padded images from
        /// <paramref name="origin"/>, the row's first pixel's origin: for each kernel row, each image's runs summed in two
        /// 16-float vectors, pixel by pixel (pixel ow's run masked into lanes s·c·ow on, the masks shared by the images),
        /// then added to the image row once. Images past the batch's last get sums too, in scratch never copied out.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AddRow(ConvGeometry g, float* cols, int colsStride, float* origin, long stride, int rowStep)
        {
            int run = g.Kernel * g.InChannels, step = g.Stride * g.InChannels, slot = ThinImages * colsStride;
            int length = ((g.OutWidth - 1) * step) + run; // floats of the image row the pixels' runs cover
            var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15).AsUInt32();
            var runs = Vector512.Create((uint)run);
            var upper = Vector512.LessThan(lane, Vector512.Create((uint)(length - 16))).AsSingle();
            var zero = Vector512<float>.Zero;
            nint c1 = colsStride, c2 = 2 * c1, c3 = 3 * c1, c4 = 4 * c1, c5 = 5 * c1;
            for (int kh = 0; kh < g.Kernel; kh++)
            {
                Vector512<float> l0 = zero, l1 = zero, l2 = zero, l3 = zero, l4 = zero, l5 = zero;
                Vector512<float> h0 = zero, h1 = zero, h2 = zero, h3 = zero, h4 = zero, h5 = zero;
                float* source = cols + (kh * run);
                for (int ow = 0, at = 0; ow < g.OutWidth; ow++, at += step, source += slot)
                {
                    // Lane L of the row takes the run's element L - at.
                    if (at < 16)
                    {
                        var inside = Vector512.LessThan(lane - Vector512.Create((uint)at), runs).AsSingle();
                        float* x = source - at;
                        l0 += Avx512F.MaskLoad(x, inside, zero);
                        l1 += Avx512F.MaskLoad(x + c1, inside, zero);
                        l2 += Avx512F.MaskLoad(x + c2, inside, zero);
                        l3 += Avx512F.MaskLoad(x + c3, inside, zero);
                        l4 += Avx512F.MaskLoad(x + c4, inside, zero);
                        l5 += Avx512F.MaskLoad(x + c5, inside, zero);
                    }

                    if (at + run > 16)
                    {
                        var inside = Vector512.LessThan(lane + Vector512.Create((uint)(16 - at)), runs).AsSingle();
                        float* x = source - at + 16;
                        h0 += Avx512F.MaskLoad(x, inside, zero);
                        h1 += Avx512F.MaskLoad(x + c1, inside, zero);
                        h2 += Avx512F.MaskLoad(x + c2, inside, zero);
                        h3 += Avx512F.MaskLoad(x + c3, inside, zero);
                        h4 += Avx512F.MaskLoad(x + c4, inside, zero);
                        h5 += Avx512F.MaskLoad(x + c5, inside, zero);
                    }
                }

                float* target = origin + (kh * rowStep);
                AddInto(target, l0, h0, upper);
                AddInto(target + stride, l1, h1, upper);
                AddInto(target + (2 * stride), l2, h2, upper);
                AddInto(target + (3 * stride), l3, h3, upper);
                AddInto(target + (4 * stride), l4, h4, upper);
                AddInto(target + (5 * stride), l5, h5, upper);
            }

            static void AddInto(float* target, Vector512<float> low, Vector512<float> high, Vector512<float> upper)
            {
                Avx512F.Store(target, Avx512F.Add(Avx512F.LoadVector512(target), low));
                Avx512F.MaskStore(target + 16, upper, Avx512F.Add(Avx512F.MaskLoad(target + 16, upper, Vector512<float>.Zero), high));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Gradient(int partial, int worker)
        {
            var o = owner;
            var g = o._g;
            int f = o._features, taps = g.Columns;
            bool wide = o._wide && f % 16 == 0;
            int first = (int)((long)partial * o._rows / Partials), last = (int)((long)(partial + 1) * o._rows / Partials);
            float* sums = o._weights + ((long)partial * taps * f); // (tap; f)
            new Span<float>(sums, taps * f).Clear();
            float* slot = o._padded[worker];
            int* offsets = o._offsets, origins = o._offsets + taps;

            // Tiles of up to 6 taps, as even as the taps allow (25 taps: five of 5).
            int tiles = (taps + 5) / 6;
            for (int n = first; n < last; n++)
            {
                Pad(g, o._images + ((long)n * g.InFeatures), slot);
                float* dy = o._matrix + ((long)n * g.OutPixels * f);

                // The next image's gradient rows are fetched into L2 while this one's tiles run, a cache line a pixel
                // (this pass reads each row from memory once, and waited on it without).
                long lines = n + 1 < last ? (((long)g.OutPixels * f) + 15) / 16 : 0, fetched = 0;
                float* next = dy + ((long)g.OutPixels * f);
                for (int f0 = 0; f0 < f; f0 += wide ? 64 : 32)
                {
                    int vectors = Math.Min(4, (f - f0) / (wide ? 16 : 8));
                    for (int tile = 0, t0 = 0; tile < tiles; tile++)
                    {
                        int size = (taps / tiles) + (tile < taps % tiles ? 1 : 0);
                        int ahead = (int)Math.Min(g.OutPixels, lines - fetched);
                        float* prefetch = next + (fetched * 16);
                        fetched += ahead;
                        if (wide)
                        {
                            switch (vectors)
                            {
                                case 4: GradientTileWide<Four>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                                case 3: GradientTileWide<Three>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                                case 2: GradientTileWide<Two>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                                default: GradientTileWide<One>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                            }

                            t0 += size;
                            continue;
                        }

                        switch (vectors)
                        {
                            case 4: GradientTile<Four>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                            case 3: GradientTile<Three>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                            case 2: GradientTile<Two>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                            default: GradientTile<One>(slot, offsets + t0, size, origins, g.OutPixels, dy + f0, f, sums + ((long)t0 * f) + f0, prefetch, ahead); break;
                        }

                        t0 += size;
                    }
                }
            }
        }
    }

    /// <summary>Chunks <c>[start, end)</c> of the weight gradient in PyTorch's order: the (tap; f) partials added in order, then beta times the old value.</summary>
    private sealed class ThinReduceBody(DirectConvolution owner) : IParallelBody
    {
        public int Partials;
        public float Beta;

        public void Execute(int start, int end, int worker)
        {
            var o = owner;
            var g = o._g;
            int f = o._features, taps = g.Columns, c = g.InChannels, kk = g.Kernel * g.Kernel;
            long size = (long)f * taps, stride = size;
            for (long i = (long)start * ReduceBody.Chunk; i < Math.Min(size, (long)end * ReduceBody.Chunk); i++)
            {
                int column = (int)(i % taps), feature = (int)(i / taps); // column: [c][kh][kw]
                long at = ((long)(((column % kk) * c) + (column / kk)) * f) + feature;
                float sum = o._weights[at];
                for (int p = 1; p < Partials; p++)
                {
                    sum += o._weights[(p * stride) + at];
                }

                o._w[i] = Beta == 0f ? sum : (Beta * o._w[i]) + sum;
            }
        }
    }

    private static Vector256<float> Mask(int lanes) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(lanes)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* x, float* y, int length)
    {
        Vector256<float> even = default, odd = default;
        int i = 0;
        for (; i + 16 <= length; i += 16)
        {
            even = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), even);
            odd = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), Avx.LoadVector256(y + i + 8), odd);
        }

        if (i < length)
        {
            even = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), even);
        }

        return Vector256.Sum(Avx.Add(even, odd));
    }

    // Tiles of 1 to 4 vectors of 8, as type arguments so that the JIT drops the unused accumulators.
    private interface IVectors
    {
        static abstract int Count { get; }
    }

    private struct None : IVectors
    {
        public static int Count => 0;
    }

    private struct One : IVectors
    {
        public static int Count => 1;
    }

    private struct Two : IVectors
    {
        public static int Count => 2;
    }

    private struct Three : IVectors
    {
        public static int Count => 3;
    }

    private struct Four : IVectors
    {
        public static int Count => 4;
    }

    /// <summary>
    /// The forward and scatter tile: <c>c[r][f0 + j] = sum over i of a[r][offsets[i]] * w[i * ldw + j]</c> for the 6 rows
    /// r and <typeparamref name="TV"/> vectors j. Forward: i the taps, j the features, a the padded images. Scatter: i the
    /// features (offsets 0, 1, 2, ...), j the taps, a the gradient rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TV>(float** a, int* offsets, int taps, float* w, nint ldw, float** c, int f0)
        where TV : struct, IVectors
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector256<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector256<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
        for (int t = 0; t < taps; t++, w += ldw)
        {
            nint off = offsets[t];
            var b0 = Avx.LoadVector256(w);
            var b1 = TV.Count > 1 ? Avx.LoadVector256(w + 8) : default;
            var b2 = TV.Count > 2 ? Avx.LoadVector256(w + 16) : default;
            var b3 = TV.Count > 3 ? Avx.LoadVector256(w + 24) : default;
            Row<TV>(a0 + off, b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
            Row<TV>(a1 + off, b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
            Row<TV>(a2 + off, b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
            Row<TV>(a3 + off, b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
            Row<TV>(a4 + off, b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
            Row<TV>(a5 + off, b0, b1, b2, b3, ref c50, ref c51, ref c52, ref c53);
        }

        Store<TV>(c[0] + f0, c00, c01, c02, c03);
        Store<TV>(c[1] + f0, c10, c11, c12, c13);
        Store<TV>(c[2] + f0, c20, c21, c22, c23);
        Store<TV>(c[3] + f0, c30, c31, c32, c33);
        Store<TV>(c[4] + f0, c40, c41, c42, c43);
        Store<TV>(c[5] + f0, c50, c51, c52, c53);
    }

    /// <summary>
    /// The scatter's tile (<see cref="Tile{TV}"/> over the features) with one more tap as a dot product over the features (its weights <paramref name="dot"/>,
    /// contiguous), written at column <paramref name="dotColumn"/>; the features come in whole vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterTileDot<TV>(float** dy, int features, float* w, nint ldw, float* dot, float* cols, nint ldc, int dotColumn)
        where TV : struct, IVectors
    {
        Vector256<float> c00 = default, c01 = default, c02 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default;
        Vector256<float> c40 = default, c41 = default, c42 = default;
        Vector256<float> c50 = default, c51 = default, c52 = default;
        Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        float* a0 = dy[0], a1 = dy[1], a2 = dy[2], a3 = dy[3], a4 = dy[4], a5 = dy[5];
        Vector256<float> u = default;
        for (nint q0 = 0; q0 < features; q0 += 8)
        {
            var e = Avx.LoadVector256(dot + q0);
            d0 = Fma.MultiplyAdd(Avx.LoadVector256(a0 + q0), e, d0);
            d1 = Fma.MultiplyAdd(Avx.LoadVector256(a1 + q0), e, d1);
            d2 = Fma.MultiplyAdd(Avx.LoadVector256(a2 + q0), e, d2);
            d3 = Fma.MultiplyAdd(Avx.LoadVector256(a3 + q0), e, d3);
            d4 = Fma.MultiplyAdd(Avx.LoadVector256(a4 + q0), e, d4);
            d5 = Fma.MultiplyAdd(Avx.LoadVector256(a5 + q0), e, d5);
            for (nint q = q0; q < q0 + 8; q++, w += ldw)
            {
                var b0 = Avx.LoadVector256(w);
                var b1 = TV.Count > 1 ? Avx.LoadVector256(w + 8) : u;
                var b2 = TV.Count > 2 ? Avx.LoadVector256(w + 16) : u;
                Row<TV>(a0 + q, b0, b1, b2, u, ref c00, ref c01, ref c02, ref u);
                Row<TV>(a1 + q, b0, b1, b2, u, ref c10, ref c11, ref c12, ref u);
                Row<TV>(a2 + q, b0, b1, b2, u, ref c20, ref c21, ref c22, ref u);
                Row<TV>(a3 + q, b0, b1, b2, u, ref c30, ref c31, ref c32, ref u);
                Row<TV>(a4 + q, b0, b1, b2, u, ref c40, ref c41, ref c42, ref u);
                Row<TV>(a5 + q, b0, b1, b2, u, ref c50, ref c51, ref c52, ref u);
            }
        }

        Store<TV>(cols, c00, c01, c02, u);
        Store<TV>(cols + ldc, c10, c11, c12, u);
        Store<TV>(cols + (2 * ldc), c20, c21, c22, u);
        Store<TV>(cols + (3 * ldc), c30, c31, c32, u);
        Store<TV>(cols + (4 * ldc), c40, c41, c42, u);
        Store<TV>(cols + (5 * ldc), c50, c51, c52, u);
        cols[dotColumn] = Vector256.Sum(d0);
        cols[ldc + dotColumn] = Vector256.Sum(d1);
        cols[(2 * ldc) + dotColumn] = Vector256.Sum(d2);
        cols[(3 * ldc) + dotColumn] = Vector256.Sum(d3);
        cols[(4 * ldc) + dotColumn] = Vector256.Sum(d4);
        cols[(5 * ldc) + dotColumn] = Vector256.Sum(d5);
    }

    /// <summary>
    /// The weight gradient's tile: for <paramref name="taps"/> (1 to 6) taps r and <typeparamref name="TV"/> vectors of
    /// features j, <c>sums[r * ld + j] += sum over pixels p of slot[origins[p] + offsets[r]] * dy[p * ld + j]</c>; pixel p
    /// also asks for cache line p of <paramref name="prefetch"/> while p is under <paramref name="lines"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile<TV>(float* slot, int* offsets, int taps, int* origins, int pixels, float* dy, nint ld, float* sums, float* prefetch, int lines)
        where TV : struct, IVectors
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector256<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector256<float> c50 = default, c51 = default, c52 = default, c53 = default;

        // Taps past the tile's read its first tap; their sums are dropped.
        float* a0 = slot + offsets[0];
        float* a1 = slot + offsets[taps > 1 ? 1 : 0], a2 = slot + offsets[taps > 2 ? 2 : 0];
        float* a3 = slot + offsets[taps > 3 ? 3 : 0], a4 = slot + offsets[taps > 4 ? 4 : 0], a5 = slot + offsets[taps > 5 ? 5 : 0];
        if (taps == 6)
        {
            for (int p = 0; p < pixels; p++, dy += ld)
            {
                nint o = origins[p];
                if (p < lines)
                {
                    Sse.Prefetch1(prefetch + (p * 16));
                }

                var b0 = Avx.LoadVector256(dy);
                var b1 = TV.Count > 1 ? Avx.LoadVector256(dy + 8) : default;
                var b2 = TV.Count > 2 ? Avx.LoadVector256(dy + 16) : default;
                var b3 = TV.Count > 3 ? Avx.LoadVector256(dy + 24) : default;
                Row<TV>(a0 + o, b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
                Row<TV>(a1 + o, b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
                Row<TV>(a2 + o, b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
                Row<TV>(a3 + o, b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
                Row<TV>(a4 + o, b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
                Row<TV>(a5 + o, b0, b1, b2, b3, ref c50, ref c51, ref c52, ref c53);
            }
        }
        else
        {
            // Up to 5 taps (a 5x5 kernel's 25 taps are five tiles of 5).
            for (int p = 0; p < pixels; p++, dy += ld)
            {
                nint o = origins[p];
                if (p < lines)
                {
                    Sse.Prefetch1(prefetch + (p * 16));
                }

                var b0 = Avx.LoadVector256(dy);
                var b1 = TV.Count > 1 ? Avx.LoadVector256(dy + 8) : default;
                var b2 = TV.Count > 2 ? Avx.LoadVector256(dy + 16) : default;
                var b3 = TV.Count > 3 ? Avx.LoadVector256(dy + 24) : default;
                Row<TV>(a0 + o, b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
                Row<TV>(a1 + o, b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
                Row<TV>(a2 + o, b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
                Row<TV>(a3 + o, b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
                Row<TV>(a4 + o, b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
            }
        }

        Accumulate<TV>(sums, c00, c01, c02, c03);
        if (taps > 1) { Accumulate<TV>(sums + ld, c10, c11, c12, c13); }
        if (taps > 2) { Accumulate<TV>(sums + (2 * ld), c20, c21, c22, c23); }
        if (taps > 3) { Accumulate<TV>(sums + (3 * ld), c30, c31, c32, c33); }
        if (taps > 4) { Accumulate<TV>(sums + (4 * ld), c40, c41, c42, c43); }
        if (taps > 5) { Accumulate<TV>(sums + (5 * ld), c50, c51, c52, c53); }
    }

    /// <summary>
    /// <see cref="Tile{TV}"/> in 16-float vectors (AVX-512): <typeparamref name="TV"/> vectors of 16 columns, 24
    /// accumulators at most. Each element gets the same FMAs in the same order, so the bits are the 8-float tile's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileWide<TV>(float** a, int* offsets, int taps, float* w, nint ldw, float** c, int f0)
        where TV : struct, IVectors
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
        for (int t = 0; t < taps; t++, w += ldw)
        {
            nint off = offsets[t];
            var b0 = Avx512F.LoadVector512(w);
            var b1 = TV.Count > 1 ? Avx512F.LoadVector512(w + 16) : default;
            var b2 = TV.Count > 2 ? Avx512F.LoadVector512(w + 32) : default;
            var b3 = TV.Count > 3 ? Avx512F.LoadVector512(w + 48) : default;
            RowWide<TV>(a0 + off, b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
            RowWide<TV>(a1 + off, b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
            RowWide<TV>(a2 + off, b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
            RowWide<TV>(a3 + off, b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
            RowWide<TV>(a4 + off, b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
            RowWide<TV>(a5 + off, b0, b1, b2, b3, ref c50, ref c51, ref c52, ref c53);
        }

        StoreWide<TV>(c[0] + f0, c00, c01, c02, c03);
        StoreWide<TV>(c[1] + f0, c10, c11, c12, c13);
        StoreWide<TV>(c[2] + f0, c20, c21, c22, c23);
        StoreWide<TV>(c[3] + f0, c30, c31, c32, c33);
        StoreWide<TV>(c[4] + f0, c40, c41, c42, c43);
        StoreWide<TV>(c[5] + f0, c50, c51, c52, c53);
    }

    /// <summary>
    /// The scatter's tile in 16-float vectors of taps (AVX-512): <typeparamref name="TZ"/> of them, then
    /// <typeparamref name="TY"/> 8-float one (24 taps: 16 + 8), and with <typeparamref name="TD"/> one tap more as a dot
    /// product over the features (its weights <paramref name="dot"/>, contiguous), written at column
    /// <paramref name="dotColumn"/>. The sums run as in <see cref="Tile{TV}"/> and <see cref="ScatterTileDot{TV}"/>, so
    /// the bits are theirs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterTileWide<TZ, TY, TD>(float** dy, int features, float* w, nint ldw, float* dot, float* cols, nint ldc, int dotColumn)
        where TZ : struct, IVectors
        where TY : struct, IVectors
        where TD : struct, IVectors
    {
        Vector512<float> z00 = default, z01 = default, z10 = default, z11 = default, z20 = default, z21 = default;
        Vector512<float> z30 = default, z31 = default, z40 = default, z41 = default, z50 = default, z51 = default;
        Vector256<float> y0 = default, y1 = default, y2 = default, y3 = default, y4 = default, y5 = default;
        Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        float* a0 = dy[0], a1 = dy[1], a2 = dy[2], a3 = dy[3], a4 = dy[4], a5 = dy[5];
        for (nint q0 = 0; q0 < features; q0 += 8)
        {
            if (TD.Count > 0)
            {
                var e = Avx.LoadVector256(dot + q0);
                d0 = Fma.MultiplyAdd(Avx.LoadVector256(a0 + q0), e, d0);
                d1 = Fma.MultiplyAdd(Avx.LoadVector256(a1 + q0), e, d1);
                d2 = Fma.MultiplyAdd(Avx.LoadVector256(a2 + q0), e, d2);
                d3 = Fma.MultiplyAdd(Avx.LoadVector256(a3 + q0), e, d3);
                d4 = Fma.MultiplyAdd(Avx.LoadVector256(a4 + q0), e, d4);
                d5 = Fma.MultiplyAdd(Avx.LoadVector256(a5 + q0), e, d5);
            }

            for (nint q = q0; q < q0 + 8; q++, w += ldw)
            {
                var b0 = Avx512F.LoadVector512(w);
                var b1 = TZ.Count > 1 ? Avx512F.LoadVector512(w + 16) : default;
                var b2 = TY.Count > 0 ? Avx.LoadVector256(w + (16 * TZ.Count)) : default;
                ScatterRowWide<TZ, TY>(a0 + q, b0, b1, b2, ref z00, ref z01, ref y0);
                ScatterRowWide<TZ, TY>(a1 + q, b0, b1, b2, ref z10, ref z11, ref y1);
                ScatterRowWide<TZ, TY>(a2 + q, b0, b1, b2, ref z20, ref z21, ref y2);
                ScatterRowWide<TZ, TY>(a3 + q, b0, b1, b2, ref z30, ref z31, ref y3);
                ScatterRowWide<TZ, TY>(a4 + q, b0, b1, b2, ref z40, ref z41, ref y4);
                ScatterRowWide<TZ, TY>(a5 + q, b0, b1, b2, ref z50, ref z51, ref y5);
            }
        }

        ScatterStoreWide<TZ, TY, TD>(cols, z00, z01, y0, d0, dotColumn);
        ScatterStoreWide<TZ, TY, TD>(cols + ldc, z10, z11, y1, d1, dotColumn);
        ScatterStoreWide<TZ, TY, TD>(cols + (2 * ldc), z20, z21, y2, d2, dotColumn);
        ScatterStoreWide<TZ, TY, TD>(cols + (3 * ldc), z30, z31, y3, d3, dotColumn);
        ScatterStoreWide<TZ, TY, TD>(cols + (4 * ldc), z40, z41, y4, d4, dotColumn);
        ScatterStoreWide<TZ, TY, TD>(cols + (5 * ldc), z50, z51, y5, d5, dotColumn);
    }


    /// <summary>
    /// The 512-bit scatter's tile of 24 taps (and, with <typeparamref name="TD"/>, one more as a dot product over the
    /// features in 16-float vectors, written at <paramref name="dotColumn"/>), two features at a time: each image's pair
    /// of features is one 64-bit broadcast against 3 vectors of <paramref name="pairs"/> (lanes 2i and 2i + 1 of vector v:
    /// tap 8v + i at features q and q + 1), and each tap's sums over the even and the odd features are added at the end.
    /// Every lane does work, and a load serves three FMAs: <see cref="ScatterTileWide{TZ, TY, TD}"/>'s 8-float vector
    /// leaves a quarter of each FMA idle, and its broadcasts make it wait on loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterTilePairs<TD>(float** dy, int features, float* pairs, float* dot, float* cols, nint ldc, int dotColumn)
        where TD : struct, IVectors
    {
        Vector512<float> u0 = default, u1 = default, u2 = default, u3 = default, u4 = default, u5 = default;
        Vector512<float> v0 = default, v1 = default, v2 = default, v3 = default, v4 = default, v5 = default;
        Vector512<float> w0 = default, w1 = default, w2 = default, w3 = default, w4 = default, w5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        float* a0 = dy[0], a1 = dy[1], a2 = dy[2], a3 = dy[3], a4 = dy[4], a5 = dy[5];
        for (nint q0 = 0; q0 < features; q0 += 16)
        {
            if (TD.Count > 0)
            {
                var e = Avx512F.LoadVector512(dot + q0);
                d0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a0 + q0), e, d0);
                d1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a1 + q0), e, d1);
                d2 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a2 + q0), e, d2);
                d3 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a3 + q0), e, d3);
                d4 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a4 + q0), e, d4);
                d5 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a5 + q0), e, d5);
            }

            for (nint q = q0; q < q0 + 16; q += 2)
            {
                float* b = pairs + (q * 24);
                var b0 = Avx512F.LoadVector512(b);
                var b1 = Avx512F.LoadVector512(b + 16);
                var b2 = Avx512F.LoadVector512(b + 32);
                PairRow(a0 + q, b0, b1, b2, ref u0, ref v0, ref w0);
                PairRow(a1 + q, b0, b1, b2, ref u1, ref v1, ref w1);
                PairRow(a2 + q, b0, b1, b2, ref u2, ref v2, ref w2);
                PairRow(a3 + q, b0, b1, b2, ref u3, ref v3, ref w3);
                PairRow(a4 + q, b0, b1, b2, ref u4, ref v4, ref w4);
                PairRow(a5 + q, b0, b1, b2, ref u5, ref v5, ref w5);
            }
        }

        PairStore<TD>(cols, u0, v0, w0, d0, dotColumn);
        PairStore<TD>(cols + ldc, u1, v1, w1, d1, dotColumn);
        PairStore<TD>(cols + (2 * ldc), u2, v2, w2, d2, dotColumn);
        PairStore<TD>(cols + (3 * ldc), u3, v3, w3, d3, dotColumn);
        PairStore<TD>(cols + (4 * ldc), u4, v4, w4, d4, dotColumn);
        PairStore<TD>(cols + (5 * ldc), u5, v5, w5, d5, dotColumn);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairRow(float* a, Vector512<float> b0, Vector512<float> b1, Vector512<float> b2, ref Vector512<float> u, ref Vector512<float> v, ref Vector512<float> w)
    {
        var x = Vector512.Create(*(double*)a).AsSingle();
        u = Avx512F.FusedMultiplyAdd(x, b0, u);
        v = Avx512F.FusedMultiplyAdd(x, b1, v);
        w = Avx512F.FusedMultiplyAdd(x, b2, w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairStore<TD>(float* row, Vector512<float> u, Vector512<float> v, Vector512<float> w, Vector512<float> d, int dotColumn)
        where TD : struct, IVectors
    {
        // Lane 2i plus lane 2i + 1 of each, the even lanes packed: u's 8 taps, then v's, then w's.
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var uv = Avx512F.PermuteVar16x32x2(Avx512F.Add(u, Avx512F.Shuffle(u, u, 0b10_11_00_01)), even, Avx512F.Add(v, Avx512F.Shuffle(v, v, 0b10_11_00_01)));
        var ww = Avx512F.PermuteVar16x32x2(Avx512F.Add(w, Avx512F.Shuffle(w, w, 0b10_11_00_01)), even, w);
        Avx512F.Store(row, uv);
        Avx.Store(row + 16, ww.GetLower());
        if (TD.Count > 0)
        {
            row[dotColumn] = Vector256.Sum(Avx.Add(d.GetLower(), d.GetUpper()));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterRowWide<TZ, TY>(float* a, Vector512<float> b0, Vector512<float> b1, Vector256<float> b2,
        ref Vector512<float> z0, ref Vector512<float> z1, ref Vector256<float> y)
        where TZ : struct, IVectors
        where TY : struct, IVectors
    {
        var x = Vector512.Create(*a);
        z0 = Avx512F.FusedMultiplyAdd(x, b0, z0);
        if (TZ.Count > 1) { z1 = Avx512F.FusedMultiplyAdd(x, b1, z1); }
        if (TY.Count > 0) { y = Fma.MultiplyAdd(x.GetLower(), b2, y); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterStoreWide<TZ, TY, TD>(float* row, Vector512<float> z0, Vector512<float> z1, Vector256<float> y, Vector256<float> d, int dotColumn)
        where TZ : struct, IVectors
        where TY : struct, IVectors
        where TD : struct, IVectors
    {
        Avx512F.Store(row, z0);
        if (TZ.Count > 1) { Avx512F.Store(row + 16, z1); }
        if (TY.Count > 0) { Avx.Store(row + (16 * TZ.Count), y); }
        if (TD.Count > 0) { row[dotColumn] = Vector256.Sum(d); }
    }

    /// <summary><see cref="GradientTile{TV}"/> in 16-float vectors of features (AVX-512); the same sums, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTileWide<TV>(float* slot, int* offsets, int taps, int* origins, int pixels, float* dy, nint ld, float* sums, float* prefetch, int lines)
        where TV : struct, IVectors
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = slot + offsets[0];
        float* a1 = slot + offsets[taps > 1 ? 1 : 0], a2 = slot + offsets[taps > 2 ? 2 : 0];
        float* a3 = slot + offsets[taps > 3 ? 3 : 0], a4 = slot + offsets[taps > 4 ? 4 : 0], a5 = slot + offsets[taps > 5 ? 5 : 0];
        for (int p = 0; p < pixels; p++, dy += ld)
        {
            nint o = origins[p];
            if (p < lines)
            {
                Sse.Prefetch1(prefetch + (p * 16));
            }

            var b0 = Avx512F.LoadVector512(dy);
            var b1 = TV.Count > 1 ? Avx512F.LoadVector512(dy + 16) : default;
            var b2 = TV.Count > 2 ? Avx512F.LoadVector512(dy + 32) : default;
            var b3 = TV.Count > 3 ? Avx512F.LoadVector512(dy + 48) : default;
            RowWide<TV>(a0 + o, b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
            RowWide<TV>(a1 + o, b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
            RowWide<TV>(a2 + o, b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
            RowWide<TV>(a3 + o, b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
            RowWide<TV>(a4 + o, b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
            if (taps == 6)
            {
                RowWide<TV>(a5 + o, b0, b1, b2, b3, ref c50, ref c51, ref c52, ref c53);
            }
        }

        AccumulateWide<TV>(sums, c00, c01, c02, c03);
        if (taps > 1) { AccumulateWide<TV>(sums + ld, c10, c11, c12, c13); }
        if (taps > 2) { AccumulateWide<TV>(sums + (2 * ld), c20, c21, c22, c23); }
        if (taps > 3) { AccumulateWide<TV>(sums + (3 * ld), c30, c31, c32, c33); }
        if (taps > 4) { AccumulateWide<TV>(sums + (4 * ld), c40, c41, c42, c43); }
        if (taps > 5) { AccumulateWide<TV>(sums + (5 * ld), c50, c51, c52, c53); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowWide<TV>(float* a, Vector512<float> b0, Vector512<float> b1, Vector512<float> b2, Vector512<float> b3,
        ref Vector512<float> c0, ref Vector512<float> c1, ref Vector512<float> c2, ref Vector512<float> c3)
        where TV : struct, IVectors
    {
        var x = Vector512.Create(*a);
        c0 = Avx512F.FusedMultiplyAdd(x, b0, c0);
        if (TV.Count > 1) { c1 = Avx512F.FusedMultiplyAdd(x, b1, c1); }
        if (TV.Count > 2) { c2 = Avx512F.FusedMultiplyAdd(x, b2, c2); }
        if (TV.Count > 3) { c3 = Avx512F.FusedMultiplyAdd(x, b3, c3); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWide<TV>(float* c, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3)
        where TV : struct, IVectors
    {
        Avx512F.Store(c, c0);
        if (TV.Count > 1) { Avx512F.Store(c + 16, c1); }
        if (TV.Count > 2) { Avx512F.Store(c + 32, c2); }
        if (TV.Count > 3) { Avx512F.Store(c + 48, c3); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateWide<TV>(float* c, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3)
        where TV : struct, IVectors
    {
        Avx512F.Store(c, Avx512F.Add(Avx512F.LoadVector512(c), c0));
        if (TV.Count > 1) { Avx512F.Store(c + 16, Avx512F.Add(Avx512F.LoadVector512(c + 16), c1)); }
        if (TV.Count > 2) { Avx512F.Store(c + 32, Avx512F.Add(Avx512F.LoadVector512(c + 32), c2)); }
        if (TV.Count > 3) { Avx512F.Store(c + 48, Avx512F.Add(Avx512F.LoadVector512(c + 48), c3)); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV>(float* a, Vector256<float> b0, Vector256<float> b1, Vector256<float> b2, Vector256<float> b3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TV : struct, IVectors
    {
        var x = Avx.BroadcastScalarToVector256(a);
        c0 = Fma.MultiplyAdd(x, b0, c0);
        if (TV.Count > 1) { c1 = Fma.MultiplyAdd(x, b1, c1); }
        if (TV.Count > 2) { c2 = Fma.MultiplyAdd(x, b2, c2); }
        if (TV.Count > 3) { c3 = Fma.MultiplyAdd(x, b3, c3); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(float* c, Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3)
        where TV : struct, IVectors
    {
        Avx.Store(c, c0);
        if (TV.Count > 1) { Avx.Store(c + 8, c1); }
        if (TV.Count > 2) { Avx.Store(c + 16, c2); }
        if (TV.Count > 3) { Avx.Store(c + 24, c3); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TV>(float* c, Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3)
        where TV : struct, IVectors
    {
        Avx.Store(c, Avx.Add(Avx.LoadVector256(c), c0));
        if (TV.Count > 1) { Avx.Store(c + 8, Avx.Add(Avx.LoadVector256(c + 8), c1)); }
        if (TV.Count > 2) { Avx.Store(c + 16, Avx.Add(Avx.LoadVector256(c + 16), c2)); }
        if (TV.Count > 3) { Avx.Store(c + 24, Avx.Add(Avx.LoadVector256(c + 24), c3)); }
    }
}
