using System.Runtime.Intrinsics;
using GanDsl.Randomness;

namespace GanDsl.Backends.Cpu;

// The layers beyond Dense: convolutions (im2col/col2im), dropout, label embeddings, BatchNorm.
public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    protected override void Im2ColCore(Tensor images, ConvGeometry g, Tensor columns, int rows)
    {
        var source = images.Span;
        var target = columns.Span;
        int k = g.Kernel, c = g.InChannels, width = g.InWidth, height = g.InHeight, cols = g.Columns;
        for (int image = 0; image < rows; image++)
        {
            var input = source.Slice(image * g.InFeatures, g.InFeatures);
            var output = target.Slice(image * g.OutPixels * cols, g.OutPixels * cols);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    var row = output.Slice((oh * g.OutWidth + ow) * cols, cols);
                    int top = oh * g.Stride - g.PadTop, left = ow * g.Stride - g.PadLeft;
                    for (int kh = 0; kh < k; kh++)
                    {
                        int ih = top + kh;
                        for (int kw = 0; kw < k; kw++)
                        {
                            int iw = left + kw;
                            int at = kh * k + kw;
                            if ((uint)ih >= (uint)height || (uint)iw >= (uint)width)
                            {
                                for (int ch = 0; ch < c; ch++)
                                {
                                    row[ch * k * k + at] = 0f;
                                }
                            }
                            else
                            {
                                var pixel = input.Slice((ih * width + iw) * c, c);
                                for (int ch = 0; ch < c; ch++)
                                {
                                    row[ch * k * k + at] = pixel[ch];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void Col2ImCore(Tensor columns, ConvGeometry g, Tensor images, int rows)
    {
        var source = columns.Span;
        var target = images.Span;
        target.Clear();
        int k = g.Kernel, c = g.InChannels, width = g.InWidth, height = g.InHeight, cols = g.Columns;
        for (int image = 0; image < rows; image++)
        {
            var output = target.Slice(image * g.InFeatures, g.InFeatures);
            var input = source.Slice(image * g.OutPixels * cols, g.OutPixels * cols);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    var row = input.Slice((oh * g.OutWidth + ow) * cols, cols);
                    int top = oh * g.Stride - g.PadTop, left = ow * g.Stride - g.PadLeft;
                    for (int kh = 0; kh < k; kh++)
                    {
                        int ih = top + kh;
                        if ((uint)ih >= (uint)height)
                        {
                            continue;
                        }

                        for (int kw = 0; kw < k; kw++)
                        {
                            int iw = left + kw;
                            if ((uint)iw >= (uint)width)
                            {
                                continue;
                            }

                            var pixel = output.Slice((ih * width + iw) * c, c);
                            int at = kh * k + kw;
                            for (int ch = 0; ch < c; ch++)
                            {
                                pixel[ch] += row[ch * k * k + at];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void DropoutCore(Tensor source, Tensor destination, float rate, ulong seed, ulong stream, ulong counter, bool backward)
    {
        var x = source.Span;
        var y = destination.Span;
        float scale = 1f / (1f - rate);
        ulong first = counter << 28;
        Span<uint> bits = stackalloc uint[32];
        for (int i = 0; i < x.Length; i += 32)
        {
            // Element i + 4j + lane uses word `lane` of block j: the layout Philox.FillUniform uses.
            Philox.Blocks8(seed, stream, first + (ulong)(i / 4), bits);
            int count = Math.Min(32, x.Length - i);
            for (int e = 0; e < count; e++)
            {
                bool keep = Philox.ToUnit(bits[8 * (e & 3) + (e >> 2)]) >= rate;
                y[i + e] = keep ? x[i + e] * scale : 0f;
            }
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
    protected override void EmbeddingBackwardCore(Tensor dy, Tensor labels, Tensor tableGradient, Tensor dx, int pixels, bool accumulate)
    {
        var gradient = dy.Span;
        var label = labels.Span;
        int e = tableGradient.IsEmpty ? 0 : tableGradient.Cols;
        int channels = tableGradient.IsEmpty ? dx.Cols / pixels : dy.Cols / pixels - e;
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
        int c = x.Cols, n = x.Rows;
        var s = saved.Span;
        var mean = s[..c];
        var inv = s.Slice(c, c);
        var stats = running.Span;
        if (!training)
        {
            for (int j = 0; j < c; j++)
            {
                mean[j] = stats[j];
                inv[j] = 1f / MathF.Sqrt(stats[c + j] + epsilon);
            }

            return;
        }

        // Two passes over the rows in order (mean, then squared deviations): accurate and deterministic.
        var values = x.Span;
        var sum = s.Slice(2 * c, c);
        sum.Clear();
        for (int r = 0; r < n; r++)
        {
            Add(sum, values.Slice(r * c, c));
        }

        for (int j = 0; j < c; j++)
        {
            mean[j] = sum[j] / n;
        }

        sum.Clear();
        for (int r = 0; r < n; r++)
        {
            var row = values.Slice(r * c, c);
            for (int j = 0; j < c; j++)
            {
                float d = row[j] - mean[j];
                sum[j] += d * d;
            }
        }

        for (int j = 0; j < c; j++)
        {
            float variance = sum[j] / n;
            inv[j] = 1f / MathF.Sqrt(variance + epsilon);
            stats[j] = (1f - momentum) * stats[j] + momentum * mean[j];
            stats[c + j] = (1f - momentum) * stats[c + j] + momentum * (n > 1 ? sum[j] / (n - 1) : variance);
        }
    }

    /// <inheritdoc />
    protected override void BatchNormInputGradientCore(Tensor dy, Tensor x, Tensor saved, Tensor scaleShift, Tensor dx)
    {
        int c = dy.Cols, n = dy.Rows;
        var s = saved.Span;
        var mean = s[..c];
        var inv = s.Slice(c, c);
        var sumDy = s.Slice(2 * c, c);
        var sumDyXhat = s.Slice(3 * c, c);
        var gamma = scaleShift.Span[..c];
        var gradient = dy.Span;
        var input = x.Span;
        var output = dx.Span;
        float invN = 1f / n;
        for (int r = 0; r < n; r++)
        {
            int o = r * c;
            for (int j = 0; j < c; j++)
            {
                float xhat = (input[o + j] - mean[j]) * inv[j];
                output[o + j] = gamma[j] * inv[j] * (gradient[o + j] - sumDy[j] * invN - xhat * sumDyXhat[j] * invN);
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

    private static void Add(Span<float> sum, ReadOnlySpan<float> row)
    {
        int j = 0;
        for (; j <= row.Length - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            (Vector256.Create(sum.Slice(j)) + Vector256.Create(row.Slice(j))).CopyTo(sum.Slice(j));
        }

        for (; j < row.Length; j++)
        {
            sum[j] += row[j];
        }
    }
}
