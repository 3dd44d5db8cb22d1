using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.InteropServices;
using GanDsl.Randomness;

namespace GanDsl.Backends.Cpu;

// The layers beyond Dense: convolutions (im2col/col2im), dropout, label embeddings, BatchNorm.
internal sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    protected override void Im2ColCore(Tensor images, ConvGeometry g, Tensor columns, int rows) =>
        RunConvolution(images, g, columns, rows, col2im: false);

    /// <inheritdoc />
    protected override void Col2ImCore(Tensor columns, ConvGeometry g, Tensor images, int rows) =>
        RunConvolution(images, g, columns, rows, col2im: true);

    // The convolution passes (DirectConvolution): without im2col where the batch and the channels are big enough, else
    // im2col a block of images at a time into a worker's scratch; the column matrix the generated code offers is not used.

    /// <inheritdoc />
    protected override void ConvolveCore(Tensor images, ConvGeometry g, Tensor weights, Tensor output, Tensor columns, int rows, bool columnsHoldImages) =>
        _direct.Gather(Pointer(images), g, Pointer(weights), weights.Rows, Pointer(output), rows);

    /// <inheritdoc />
    protected override void ConvolveTransposedCore(Tensor input, ConvGeometry g, Tensor weights, Tensor images, Tensor columns, int rows) =>
        _direct.Scatter(Pointer(input), g, Pointer(weights), weights.Rows, Pointer(images), rows);

    /// <inheritdoc />
    protected override bool ConvolutionWeightGradientCore(Tensor gradient, Tensor images, ConvGeometry g, Tensor weightGradient, float beta, Tensor columns, int rows)
    {
        _direct.WeightGradient(Pointer(gradient), Pointer(images), g, Pointer(weightGradient), weightGradient.Rows, beta, rows);
        return false;
    }

    // Images are independent: split them over the workers (each writes only its own rows or image).
    private void RunConvolution(Tensor images, ConvGeometry g, Tensor columns, int rows, bool col2im)
    {
        var job = _convolutionJob;
        (job.Images, job.Columns, job.Geometry, job.Col2Im) = (images, columns, g, col2im);
        RunParallel(job, rows, (long)rows * g.OutPixels * g.Columns);

        job.Geometry = null;
    }

    // Im2Col and Col2Im walk the output pixels; for each, the taps inside the image become a list of (column, pixel
    // address) pairs, and each tap's pixel is copied (added) as one run of channels, k x k columns apart in the row (which
    // stays in L1): no bounds test per element. A column row is laid out as PyTorch's weight, channel-major: [c][kh][kw].

    private static void Im2Col(Tensor images, ConvGeometry g, Tensor columns, int first, int end)
    {
        fixed (float* source = images.Span, target = columns.Span)
        {
            Im2Col(source + ((long)first * g.InFeatures), g, target + ((long)first * g.OutPixels * g.Columns), end - first);
        }
    }

    /// <summary>im2col of <paramref name="count"/> images from <paramref name="source"/> into the column rows at <paramref name="target"/>.</summary>
    internal static void Im2Col(float* source, ConvGeometry g, float* target, int count)
    {
        if (g.InChannels == 1)
        {
            SingleChannel(source, g, target, count, col2im: false);
            return;
        }

        int k = g.Kernel, kk = k * k, c = g.InChannels, cols = g.Columns;
        var (tapColumns, tapPixels) = TapScratch(kk);
        fixed (int* inside = tapColumns)
        fixed (nint* addresses = tapPixels)
        {
            int* outside = inside + kk;
            float** pixels = (float**)addresses;
            for (int image = 0; image < count; image++)
            {
                float* input = source + (long)image * g.InFeatures;
                float* output = target + (long)image * g.OutPixels * cols;
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        float* row = output + (long)(oh * g.OutWidth + ow) * cols;
                        int taps = Taps(g, oh, ow, input, inside, outside, pixels, out int missing);
                        if (c < FewChannels)
                        {
                            // A channel's run of k x k columns at a time: contiguous stores, the taps' pixels gathered.
                            for (int ch = 0; ch < c; ch++, row += kk)
                            {
                                for (int t = 0; t < taps; t++)
                                {
                                    row[inside[t]] = pixels[t][ch];
                                }

                                for (int t = 0; t < missing; t++)
                                {
                                    row[outside[t]] = 0f;
                                }
                            }

                            continue;
                        }

                        for (int t = 0; t < taps; t++)
                        {
                            float* from = pixels[t], to = row + inside[t];
                            for (float* last = from + c; from < last; from++, to += kk)
                            {
                                *to = *from;
                            }
                        }

                        for (int t = 0; t < missing; t++)
                        {
                            float* to = row + outside[t];
                            for (float* last = to + (long)c * kk; to < last; to += kk)
                            {
                                *to = 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Col2Im(Tensor columns, ConvGeometry g, Tensor images, int first, int end)
    {
        fixed (float* source = columns.Span, target = images.Span)
        {
            Col2Im(source + ((long)first * g.OutPixels * g.Columns), g, target + ((long)first * g.InFeatures), end - first);
        }
    }

    /// <summary>col2im of the column rows of <paramref name="count"/> images at <paramref name="source"/> into the images at <paramref name="target"/>.</summary>
    internal static void Col2Im(float* source, ConvGeometry g, float* target, int count)
    {
        if (g.InChannels == 1)
        {
            SingleChannel(target, g, source, count, col2im: true);
            return;
        }

        // Each image value gets its terms in (oh, ow) order, as before: one output pixel's taps reach distinct pixels.
        int k = g.Kernel, kk = k * k, c = g.InChannels, cols = g.Columns;
        var (tapColumns, tapPixels) = TapScratch(kk);
        fixed (int* inside = tapColumns)
        fixed (nint* addresses = tapPixels)
        {
            int* outside = inside + kk;
            float** pixels = (float**)addresses;
            for (int image = 0; image < count; image++)
            {
                float* output = target + (long)image * g.InFeatures;
                new Span<float>(output, g.InFeatures).Clear();
                float* input = source + (long)image * g.OutPixels * cols;
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        float* row = input + (long)(oh * g.OutWidth + ow) * cols;
                        int taps = Taps(g, oh, ow, output, inside, outside, pixels, out _);
                        if (c < FewChannels)
                        {
                            for (int ch = 0; ch < c; ch++, row += kk)
                            {
                                for (int t = 0; t < taps; t++)
                                {
                                    pixels[t][ch] += row[inside[t]];
                                }
                            }

                            continue;
                        }

                        for (int t = 0; t < taps; t++)
                        {
                            float* to = pixels[t], from = row + inside[t];
                            for (float* last = to + c; to < last; to++, from += kk)
                            {
                                *to += *from;
                            }
                        }
                    }
                }
            }
        }
    }

    // One channel: a column row is the k x k patch itself, so it is walked directly (no tap lists), kernel row by kernel
    // row, a row outside the image as zeros; col2im adds in the same (oh, ow, kh, kw) order as the general path.
    private static void SingleChannel(float* images, ConvGeometry g, float* columns, int count, bool col2im)
    {
        int k = g.Kernel, height = g.InHeight, width = g.InWidth;
        for (int image = 0; image < count; image++)
        {
            float* pixels = images + ((long)image * g.InFeatures);
            float* row = columns + ((long)image * g.OutPixels * g.Columns);
            if (col2im)
            {
                new Span<float>(pixels, g.InFeatures).Clear();
            }

            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int top = (oh * g.Stride) - g.PadTop;
                for (int ow = 0; ow < g.OutWidth; ow++, row += g.Columns)
                {
                    int left = (ow * g.Stride) - g.PadLeft;
                    int first = Math.Min(k, Math.Max(0, -left)), last = Math.Max(first, Math.Min(k, width - left)); // kernel columns inside
                    for (int kh = 0; kh < k; kh++)
                    {
                        int ih = top + kh;
                        float* patch = row + (kh * k);
                        if ((uint)ih >= (uint)height)
                        {
                            if (!col2im)
                            {
                                new Span<float>(patch, k).Clear();
                            }

                            continue;
                        }

                        float* line = pixels + ((long)ih * width) + left;
                        if (col2im)
                        {
                            for (int kw = first; kw < last; kw++)
                            {
                                line[kw] += patch[kw];
                            }

                            continue;
                        }

                        for (int kw = 0; kw < first; kw++)
                        {
                            patch[kw] = 0f;
                        }

                        for (int kw = first; kw < last; kw++)
                        {
                            patch[kw] = line[kw];
                        }

                        for (int kw = last; kw < k; kw++)
                        {
                            patch[kw] = 0f;
                        }
                    }
                }
            }
        }
    }

    // Below this many channels a tap's run is too short to pay for its loop: the column row is written channel by channel.
    private const int FewChannels = 8;

    [ThreadStatic]
    private static int[]? t_tapColumns;

    [ThreadStatic]
    private static nint[]? t_tapPixels;

    // This thread's lists of taps (2 k x k columns, k x k addresses), grown to the largest kernel seen and then reused.
    private static (int[] Columns, nint[] Pixels) TapScratch(int kk)
    {
        if (t_tapColumns is null || t_tapColumns.Length < 2 * kk)
        {
            t_tapColumns = new int[2 * kk];
            t_tapPixels = new nint[kk];
        }

        return (t_tapColumns, t_tapPixels!);
    }

    // The taps of output pixel (oh, ow) inside the image, in (kh, kw) order: their column in a channel's run and the
    // address of their pixel's first channel; the taps outside, by column. Returns how many are inside.
    private static int Taps(ConvGeometry g, int oh, int ow, float* image, int* inside, int* outside, float** pixels, out int missing)
    {
        int k = g.Kernel, top = oh * g.Stride - g.PadTop, left = ow * g.Stride - g.PadLeft, taps = 0;
        missing = 0;
        for (int kh = 0; kh < k; kh++)
        {
            int ih = top + kh;
            for (int kw = 0; kw < k; kw++)
            {
                int iw = left + kw;
                if ((uint)ih < (uint)g.InHeight && (uint)iw < (uint)g.InWidth)
                {
                    inside[taps] = kh * k + kw;
                    pixels[taps++] = image + (long)(ih * g.InWidth + iw) * g.InChannels;
                }
                else
                {
                    outside[missing++] = kh * k + kw;
                }
            }
        }

        return taps;
    }

    /// <inheritdoc />
    protected override void DropoutCore(Tensor source, Tensor destination, float rate, ulong seed, ulong stream, CounterValue counter, bool backward)
    {
        var job = _dropoutJob;
        (job.Source, job.Destination, job.Rate, job.Seed, job.Stream, job.Counter) = (source, destination, rate, seed, stream, counter.Resolve());
        int chunks = (source.Length + 31) / 32;
        RunParallel(job, chunks, source.Length);
    }

    /// <inheritdoc />
    protected override void ChannelsCore(Tensor stacked, Tensor a, Tensor b, int pixels, int firstChannels, bool split)
    {
        int total = stacked.Cols / pixels, ca = firstChannels, cb = total - ca;
        var all = stacked.Span;
        var first = a.IsEmpty ? default : a.Span;
        var second = b.IsEmpty ? default : b.Span;
        for (int r = 0; r < stacked.Rows; r++)
        {
            for (int p = 0; p < pixels; p++)
            {
                var pixel = all.Slice((r * pixels + p) * total, total);
                if (!a.IsEmpty)
                {
                    var part = first.Slice((r * pixels + p) * ca, ca);
                    (split ? pixel[..ca] : part).CopyTo(split ? part : pixel[..ca]);
                }

                if (!b.IsEmpty)
                {
                    var part = second.Slice((r * pixels + p) * cb, cb);
                    (split ? pixel[ca..] : part).CopyTo(split ? part : pixel[ca..]);
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void PlaceColumnsCore(Tensor source, Tensor destination, int offset)
    {
        var from = source.Span;
        var to = destination.Span;
        for (int r = 0; r < source.Rows; r++)
        {
            from.Slice(r * source.Cols, source.Cols).CopyTo(to.Slice(r * destination.Cols + offset, source.Cols));
        }
    }

    /// <inheritdoc />
    protected override void CategoricalCore(Tensor draws, Tensor destination, int offset, int classes)
    {
        var values = draws.Span;
        var to = destination.Span;
        for (int r = 0; r < draws.Rows; r++)
        {
            int c = Math.Min((int)MathF.Floor(values[r]), classes - 1);
            values[r] = c;
            var code = to.Slice(r * destination.Cols + offset, classes);
            code.Clear();
            code[c] = 1f;
        }
    }

    /// <inheritdoc />
    protected override void UpsampleCore(Tensor source, Tensor destination, int height, int width, int factor, bool backward)
    {
        // Rows (images) are independent and the block sums run in a fixed order, so any split gives the same bits.
        var job = _upsampleJob;
        (job.Source, job.Destination, job.Height, job.Width, job.Factor, job.Backward) = (source, destination, height, width, factor, backward);
        var small = backward ? destination : source;
        RunParallel(job, small.Rows, (long)small.Length * factor * factor);
    }

    /// <summary>Upsample over images [start, end): see <see cref="UpsampleCore"/>.</summary>
    private sealed class UpsampleJob : IParallelBody
    {
        public Tensor Source;
        public Tensor Destination;
        public int Height;
        public int Width;
        public int Factor;
        public bool Backward;

        public void Execute(int start, int end, int worker)
        {
            var (height, width, factor, backward) = (Height, Width, Factor, Backward);
            var small = backward ? Destination : Source;
            int channels = small.Cols / (height * width), wide = width * factor;
            var from = Source.Span;
            var to = Destination.Span;
            for (int r = start; r < end; r++)
            {
                var image = (backward ? to : from).Slice(r * small.Cols, small.Cols);
                var large = (backward ? from : to).Slice(r * small.Cols * factor * factor, small.Cols * factor * factor);
                for (int h = 0; h < height; h++)
                {
                    for (int w = 0; w < width; w++)
                    {
                        var pixel = image.Slice((h * width + w) * channels, channels);
                        if (backward)
                        {
                            pixel.Clear();
                        }

                        for (int i = 0; i < factor; i++)
                        {
                            for (int j = 0; j < factor; j++)
                            {
                                var block = large.Slice(((h * factor + i) * wide + w * factor + j) * channels, channels);
                                if (backward)
                                {
                                    AddInPlace(pixel, block);
                                }
                                else
                                {
                                    pixel.CopyTo(block);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // sum[c] += values[c], in vectors where they fit (each element's sum in the same order either way).
    private static void AddInPlace(Span<float> sum, ReadOnlySpan<float> values)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; c <= sum.Length - Vector<float>.Count; c += Vector<float>.Count)
            {
                (new Vector<float>(sum.Slice(c)) + new Vector<float>(values.Slice(c))).CopyTo(sum.Slice(c));
            }
        }

        for (; c < sum.Length; c++)
        {
            sum[c] += values[c];
        }
    }

    /// <inheritdoc />
    protected override void ConcatEmbeddingCore(Tensor x, Tensor labels, Tensor table, Tensor y, int pixels)
    {
        var input = x.Span;
        var label = labels.Span;
        var embeddings = table.Span;
        var output = y.Span;
        int channels = x.Cols / pixels, e = table.Cols;
        for (int r = 0; r < x.Rows; r++)
        {
            var embedding = embeddings.Slice(Label(label[r], table.Rows, r) * e, e);
            for (int p = 0; p < pixels; p++)
            {
                var target = output.Slice(r * y.Cols + p * (channels + e), channels + e);
                input.Slice(r * x.Cols + p * channels, channels).CopyTo(target);
                embedding.CopyTo(target.Slice(channels));
            }
        }
    }

    /// <inheritdoc />
    protected override void InstanceNormCore(Tensor x, Tensor dy, Tensor scaleShift, Tensor y, int pixels, int channels, float epsilon, InstanceNormPass pass)
    {
        // Rows are independent and each (row, channel) is summed in pixel order, so any split gives the same bits.
        var job = _instanceNormJob;
        (job.X, job.Dy, job.ScaleShift, job.Y, job.Pixels, job.Channels, job.Epsilon, job.Pass) = (x, dy, scaleShift, y, pixels, channels, epsilon, pass);
        RunParallel(job, x.Rows, x.Length);
    }

    /// <summary>InstanceNorm over rows [start, end): see <see cref="InstanceNormCore"/>.</summary>
    private sealed class InstanceNormJob : IParallelBody
    {
        public Tensor X;
        public Tensor Dy;
        public Tensor ScaleShift;
        public Tensor Y;
        public int Pixels;
        public int Channels;
        public float Epsilon;
        public InstanceNormPass Pass;

        public void Execute(int start, int end, int worker)
        {
            var (x, dy, scaleShift, y, pixels, channels, epsilon, pass) = (X, Dy, ScaleShift, Y, Pixels, Channels, Epsilon, Pass);
            var xs = x.Span;
            var gradient = dy.IsEmpty ? default : dy.Span;
            var affine = scaleShift.IsEmpty ? default : scaleShift.Span;
            var output = y.Span;
            int width = pixels * channels;
            for (int r = start; r < end; r++)
            {
                for (int c = 0; c < channels; c++)
                {
                    // The statistics in float, summed over the pixels in order (as the CUDA kernel does).
                    int first = r * width + c;
                    float sum = 0f;
                    for (int p = 0; p < pixels; p++)
                    {
                        sum += xs[first + p * channels];
                    }

                    float mean = sum / pixels, squares = 0f;
                    for (int p = 0; p < pixels; p++)
                    {
                        float d = xs[first + p * channels] - mean;
                        squares += d * d;
                    }

                    float inverse = 1f / MathF.Sqrt(squares / pixels + epsilon);
                    float scale = affine.IsEmpty ? 1f : affine[c], shift = affine.IsEmpty ? 0f : affine[channels + c];
                    if (pass == InstanceNormPass.InputGradient)
                    {
                        float sumG = 0f, sumGx = 0f;
                        for (int p = 0; p < pixels; p++)
                        {
                            int i = first + p * channels;
                            float g = gradient[i] * scale;
                            sumG += g;
                            sumGx += g * ((xs[i] - mean) * inverse);
                        }

                        float meanG = sumG / pixels, meanGx = sumGx / pixels;
                        for (int p = 0; p < pixels; p++)
                        {
                            int i = first + p * channels;
                            output[i] = inverse * (gradient[i] * scale - meanG - (xs[i] - mean) * inverse * meanGx);
                        }

                        continue;
                    }

                    for (int p = 0; p < pixels; p++)
                    {
                        int i = first + p * channels;
                        float normalised = (xs[i] - mean) * inverse;
                        output[i] = pass == InstanceNormPass.Forward ? scale * normalised + shift : gradient[i] * normalised;
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void PReluCore(Tensor z, Tensor second, Tensor y, int channels, PReluPass pass, Tensor gradient = default)
    {
        // Elementwise: any split of the elements gives the same bits.
        var job = _preluJob;
        (job.Z, job.Second, job.Y, job.Channels, job.Pass, job.Gradient) = (z, second, y, channels, pass, gradient);
        int chunks = (int)((z.Length + PReluJob.Chunk - 1) / PReluJob.Chunk);
        RunParallel(job, chunks, z.Length);
    }

    /// <summary>PReLU over chunks [start, end) of <see cref="Chunk"/> elements: see <see cref="PReluCore"/>.</summary>
    private sealed class PReluJob : IParallelBody
    {
        /// <summary>Elements a chunk holds: a multiple of every vector width, so only the last chunk has a scalar tail (the scalar loop computes the same bits).</summary>
        public const int Chunk = 8192;

        public Tensor Z;
        public Tensor Second;
        public Tensor Y;
        public Tensor Gradient;
        public int Channels;
        public PReluPass Pass;

        public void Execute(int start, int end, int worker)
        {
            int length = (int)Z.Length;
            int from = start * Chunk, to = Math.Min(length, end * Chunk);
            var zs = Z.Span[from..to];
            var output = Y.Span[from..to];
            var other = Second.Span;
            var dy = Gradient.IsEmpty ? default : Gradient.Span[from..to];
            int channels = Channels;
            switch (Pass)
            {
                case PReluPass.Forward when channels == 1:
                    Select(zs, zs, other[0], output);
                    break;
                case PReluPass.Forward:
                    for (int i = 0; i < zs.Length; i++)
                    {
                        output[i] = zs[i] > 0f ? zs[i] : other[(from + i) % channels] * zs[i];
                    }

                    break;
                case PReluPass.SlopeTerms:
                    // The slope's terms: dy * z where z <= 0 (second holds dy here).
                    var gradient = other[from..to];
                    for (int i = 0; i < zs.Length; i++)
                    {
                        output[i] = zs[i] > 0f ? 0f : gradient[i] * zs[i];
                    }

                    break;
                default:
                    if (channels == 1)
                    {
                        Select(zs, dy, other[0], output);
                        break;
                    }

                    for (int i = 0; i < zs.Length; i++)
                    {
                        output[i] = zs[i] > 0f ? dy[i] : other[(from + i) % channels] * dy[i];
                    }

                    break;
            }
        }

        // output = z > 0 ? value : slope * value, in vectors (one slope: PReLU's default).
        private static void Select(ReadOnlySpan<float> z, ReadOnlySpan<float> value, float slope, Span<float> output)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var scale = new Vector<float>(slope);
                for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var v = new Vector<float>(value.Slice(i));
                    Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(z.Slice(i)), Vector<float>.Zero), v, scale * v).CopyTo(output.Slice(i));
                }
            }

            for (; i < z.Length; i++)
            {
                output[i] = z[i] > 0f ? value[i] : slope * value[i];
            }
        }
    }

    /// <inheritdoc />
    protected override void MultiplyEmbeddingCore(Tensor x, Tensor labels, Tensor table, Tensor y)
    {
        var input = x.Span;
        var label = labels.Span;
        var embeddings = table.Span;
        var output = y.Span;
        int n = x.Cols;
        for (int r = 0; r < x.Rows; r++)
        {
            Multiply(input.Slice(r * n, n), embeddings.Slice(Label(label[r], table.Rows, r) * n, n), output.Slice(r * n, n));
        }
    }

    /// <inheritdoc />
    protected override void MultiplyEmbeddingBackwardCore(Tensor dy, Tensor x, Tensor labels, Tensor table, Tensor tableGradient, Tensor dx, bool accumulate)
    {
        var gradient = dy.Span;
        var input = x.Span;
        var label = labels.Span;
        var embeddings = table.Span;
        int n = dy.Cols;
        if (!tableGradient.IsEmpty && !accumulate)
        {
            tableGradient.Span.Clear();
        }

        for (int r = 0; r < dy.Rows; r++)
        {
            int c = Label(label[r], table.Rows, r);
            var g = gradient.Slice(r * n, n);
            if (!tableGradient.IsEmpty)
            {
                // The table's row first: dx may be dy itself.
                var row = tableGradient.Span.Slice(c * n, n);
                var xs = input.Slice(r * n, n);
                for (int j = 0; j < n; j++)
                {
                    row[j] = MathF.FusedMultiplyAdd(g[j], xs[j], row[j]);
                }
            }

            if (!dx.IsEmpty)
            {
                Multiply(g, embeddings.Slice(c * n, n), dx.Span.Slice(r * n, n));
            }
        }
    }

    private static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> product)
    {
        for (int j = 0; j < product.Length; j++)
        {
            product[j] = a[j] * b[j];
        }
    }

    /// <inheritdoc />
    protected override void EmbeddingBackwardCore(Tensor dy, Tensor labels, Tensor tableGradient, Tensor dx, int pixels, bool accumulate)
    {
        var gradient = dy.Span;
        var label = labels.Span;
        // dy's pixels are (channels, embedding) wide whether or not the table's gradient is wanted.
        int width = dy.Cols / pixels;
        int channels = dx.IsEmpty ? width - tableGradient.Cols : dx.Cols / pixels;
        int e = width - channels;
        if (!tableGradient.IsEmpty && !accumulate)
        {
            tableGradient.Span.Clear();
        }

        for (int r = 0; r < dy.Rows; r++)
        {
            for (int p = 0; p < pixels; p++)
            {
                var source = gradient.Slice(r * dy.Cols + p * (channels + e), channels + e);
                if (!dx.IsEmpty)
                {
                    source[..channels].CopyTo(dx.Span.Slice(r * dx.Cols + p * channels, channels));
                }

                if (!tableGradient.IsEmpty)
                {
                    var row = tableGradient.Span.Slice(Label(label[r], tableGradient.Rows, r) * e, e);
                    var part = source.Slice(channels);
                    for (int i = 0; i < e; i++)
                    {
                        row[i] += part[i];
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void BatchNormStatisticsCore(Tensor x, Tensor saved, Tensor running, float momentum, float epsilon, bool training)
    {
        var job = _batchNormStatisticsJob;
        (job.X, job.Saved, job.Running, job.Momentum, job.Epsilon, job.Training) = (x, saved, running, momentum, epsilon, training);
        int blocks = (x.Cols + BatchNormStatisticsJob.Block - 1) / BatchNormStatisticsJob.Block;
        if ((long)x.Length < ParallelElementThreshold || !training)
        {
            job.Execute(0, blocks, 0);
        }
        else
        {
            _pool.For(blocks, job);
        }
    }

    /// <inheritdoc />
    protected override void BatchNormInputGradientCore(Tensor dy, Tensor x, Tensor saved, Tensor scaleShift, Tensor dx)
    {
        var job = _batchNormGradientJob;
        (job.X, job.Saved, job.Gradient, job.Scale, job.Output) = (x, saved, dy, scaleShift, dx);
        RunParallel(job, dy.Rows, dy.Length);
    }

    /// <summary>Dropout over chunks of 32 elements, each drawing its own Philox blocks.</summary>
    private sealed class DropoutJob : IParallelBody
    {
        public Tensor Source;
        public Tensor Destination;
        public float Rate;
        public ulong Seed;
        public ulong Stream;
        public ulong Counter;

        public void Execute(int start, int end, int worker)
        {
            var x = Source.Span;
            var y = Destination.Span;
            float scale = 1f / (1f - Rate);
            ulong first = Counter << 28;
            Span<uint> bits = stackalloc uint[32];
            Span<uint> ordered = stackalloc uint[32];

            // Philox.ToUnit(u) >= Rate, with both sides scaled by 2^24 (exact): (u >> 8) >= Rate * 2^24. Kept elements
            // are selected, not branched to: the mask is random, so a branch would mispredict a third of the time.
            var threshold = Vector256.Create(Rate * 16777216f);
            var scales = Vector256.Create(scale);
            for (int chunk = start; chunk < end; chunk++)
            {
                // Element i + 4j + lane uses word `lane` of block j: the layout Philox.FillUniform uses.
                int i = chunk * 32;
                Philox.Blocks8(Seed, Stream, first + (ulong)(i / 4), bits);
                int count = Math.Min(32, x.Length - i);
                if (count == 32)
                {
                    ElementOrder(bits, ordered);
                    for (int v = 0; v < 32; v += 8)
                    {
                        var units = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(Vector256.Create<uint>(ordered.Slice(v, 8)), 8).AsInt32());
                        var kept = Vector256.GreaterThanOrEqual(units, threshold);
                        Vector256.ConditionalSelect(kept, Vector256.Create<float>(x.Slice(i + v, 8)) * scales, Vector256<float>.Zero).CopyTo(y.Slice(i + v, 8));
                    }

                    continue;
                }

                for (int e = 0; e < count; e++)
                {
                    bool keep = Philox.ToUnit(bits[8 * (e & 3) + (e >> 2)]) >= Rate;
                    y[i + e] = keep ? x[i + e] * scale : 0f;
                }
            }
        }
    }

    /// <summary>
    /// Philox.Blocks8's words (word w of block j at 8w + j) in element order (element 4j + w): a 4 x 8 transpose.
    /// </summary>
    private static void ElementOrder(ReadOnlySpan<uint> bits, Span<uint> ordered)
    {
        if (!Avx2.IsSupported)
        {
            for (int e = 0; e < 32; e++)
            {
                ordered[e] = bits[(8 * (e & 3)) + (e >> 2)];
            }

            return;
        }

        var (w0, w1, w2, w3) = (Vector256.Create(bits), Vector256.Create(bits[8..]), Vector256.Create(bits[16..]), Vector256.Create(bits[24..]));
        var t0 = Avx2.UnpackLow(w0, w1); // w0 w1 of blocks 0, 1 | 4, 5
        var t1 = Avx2.UnpackHigh(w0, w1); // blocks 2, 3 | 6, 7
        var t2 = Avx2.UnpackLow(w2, w3);
        var t3 = Avx2.UnpackHigh(w2, w3);
        var u0 = Avx2.UnpackLow(t0.AsUInt64(), t2.AsUInt64()).AsUInt32(); // block 0 | block 4, all four words
        var u1 = Avx2.UnpackHigh(t0.AsUInt64(), t2.AsUInt64()).AsUInt32(); // block 1 | 5
        var u2 = Avx2.UnpackLow(t1.AsUInt64(), t3.AsUInt64()).AsUInt32(); // block 2 | 6
        var u3 = Avx2.UnpackHigh(t1.AsUInt64(), t3.AsUInt64()).AsUInt32(); // block 3 | 7
        Avx2.Permute2x128(u0, u1, 0x20).CopyTo(ordered);
        Avx2.Permute2x128(u2, u3, 0x20).CopyTo(ordered[8..]);
        Avx2.Permute2x128(u0, u1, 0x31).CopyTo(ordered[16..]);
        Avx2.Permute2x128(u2, u3, 0x31).CopyTo(ordered[24..]);
    }

    /// <summary>
    /// BatchNorm's statistics over blocks of 8 columns, one vector lane per column: each column sums its
    /// rows in order (mean, then squared deviations), so results do not depend on the thread count.
    /// In evaluation mode it only turns the running statistics into mean and 1 / std.
    /// </summary>
    private sealed class BatchNormStatisticsJob : IParallelBody
    {
        public const int Block = 8;

        public Tensor X;
        public Tensor Saved;
        public Tensor Running;
        public float Momentum;
        public float Epsilon;
        public bool Training;

        public void Execute(int start, int end, int worker)
        {
            int c = X.Cols;
            var s = Saved.Span;
            var stats = Running.Span;
            for (int block = start; block < end; block++)
            {
                int j = block * Block;
                if (!Training)
                {
                    for (int k = j; k < Math.Min(j + Block, c); k++)
                    {
                        s[k] = stats[k];
                        s[c + k] = 1f / MathF.Sqrt(stats[c + k] + Epsilon);
                    }
                }
                else if (j + Block <= c)
                {
                    FullBlock(j, s, stats);
                }
                else
                {
                    for (int k = j; k < c; k++)
                    {
                        Column(k, s, stats);
                    }
                }
            }
        }

        private void FullBlock(int j, Span<float> s, Span<float> stats)
        {
            int c = X.Cols, n = X.Rows;
            ref float values = ref MemoryMarshal.GetReference(X.Span);
            var sum = Vector256<float>.Zero;
            for (int r = 0; r < n; r++)
            {
                sum += Vector256.LoadUnsafe(ref values, (nuint)((long)r * c + j));
            }

            var mean = sum / Vector256.Create((float)n);
            var squares = Vector256<float>.Zero;
            for (int r = 0; r < n; r++)
            {
                var d = Vector256.LoadUnsafe(ref values, (nuint)((long)r * c + j)) - mean;
                squares += d * d;
            }

            for (int lane = 0; lane < Block; lane++)
            {
                Finish(j + lane, mean.GetElement(lane), squares.GetElement(lane), n, s, stats);
            }
        }

        private void Column(int j, Span<float> s, Span<float> stats)
        {
            int c = X.Cols, n = X.Rows;
            var values = X.Span;
            float sum = 0f;
            for (int r = 0; r < n; r++)
            {
                sum += values[r * c + j];
            }

            float mean = sum / n;
            float squares = 0f;
            for (int r = 0; r < n; r++)
            {
                float d = values[r * c + j] - mean;
                squares += d * d;
            }

            Finish(j, mean, squares, n, s, stats);
        }

        // Saved: mean and 1 / std of the batch (biased variance); running: PyTorch's update with the unbiased one.
        private void Finish(int j, float mean, float squares, int n, Span<float> s, Span<float> stats)
        {
            int c = X.Cols;
            float variance = squares / n;
            s[j] = mean;
            s[c + j] = 1f / MathF.Sqrt(variance + Epsilon);
            stats[j] = (1f - Momentum) * stats[j] + Momentum * mean;
            stats[c + j] = (1f - Momentum) * stats[c + j] + Momentum * (n > 1 ? squares / (n - 1) : variance);
        }
    }

    /// <summary>BatchNorm's input gradient over rows, from the sums its backward reduction saved.</summary>
    private sealed class BatchNormGradientJob : IParallelBody
    {
        public Tensor X;
        public Tensor Saved;
        public Tensor Gradient;
        public Tensor Scale;
        public Tensor Output;

        public void Execute(int start, int end, int worker)
        {
            int c = Gradient.Cols, n = Gradient.Rows;
            var s = Saved.Span;
            var mean = s[..c];
            var inv = s.Slice(c, c);
            var sumDy = s.Slice(2 * c, c);
            var sumDyXhat = s.Slice(3 * c, c);
            var gamma = Scale.Span[..c];
            var gradient = Gradient.Span;
            var input = X.Span;
            var output = Output.Span;
            float invN = 1f / n;
            for (int r = start; r < end; r++)
            {
                int o = r * c;
                for (int j = 0; j < c; j++)
                {
                    float xhat = (input[o + j] - mean[j]) * inv[j];
                    output[o + j] = gamma[j] * inv[j] * (gradient[o + j] - sumDy[j] * invN - xhat * sumDyXhat[j] * invN);
                }
            }
        }
    }

    private sealed class ConvolutionJob : IParallelBody
    {
        public Tensor Images;
        public Tensor Columns;
        public ConvGeometry? Geometry;
        public bool Col2Im;

        public void Execute(int start, int end, int worker)
        {
            if (Col2Im)
            {
                CpuBackend.Col2Im(Columns, Geometry!, Images, start, end);
            }
            else
            {
                CpuBackend.Im2Col(Images, Geometry!, Columns, start, end);
            }
        }
    }

    private static int Label(float value, int classes, int row)
    {
        int label = (int)value;
        return (uint)label < (uint)classes && label == value
            ? label
            : throw new ArgumentOutOfRangeException(nameof(value), $"Label {value} of row {row} is not a class in 0..{classes - 1}.");
    }
}
