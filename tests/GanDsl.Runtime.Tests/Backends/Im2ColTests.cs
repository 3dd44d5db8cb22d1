using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>
/// The CPU's im2col and col2im, which every convolution's three passes go through, against plain loops: bit for bit, over
/// the samples' geometries and random ones (kernel 1 to 7, stride 1 to 3, Same and Valid padding, odd sizes, 1 to 256
/// channels, batch 1 to 300), on one thread and two.
/// </summary>
public sealed class Im2ColTests
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomGeometriesMatchPlainLoops(int seed)
    {
        var random = new Random(seed);
        int k = random.Next(1, 8), stride = random.Next(1, 4), height = random.Next(k, 14), width = random.Next(k, 14);
        int channels = seed % 4 == 0 ? random.Next(1, 8) : seed % 4 == 1 ? random.Next(8, 257) : random.Next(1, 65);
        var geometry = Geometry(channels, height, width, k, stride, same: seed % 2 == 0);
        int rows = Math.Max(1, Math.Min(random.Next(1, 301), 200_000 / Math.Max(1, geometry.OutPixels * geometry.Columns)));
        Check(geometry, rows, seed);
    }

    // Every convolution of the samples (DCGAN, ACGAN, InfoGAN, BEGAN): (channels, size, kernel, stride) as declared.
    [Theory]
    [InlineData(1, 28, 5, 2)]
    [InlineData(64, 14, 5, 2)]
    [InlineData(256, 7, 5, 1)]
    [InlineData(128, 7, 5, 2)]
    [InlineData(1, 28, 3, 2)]
    [InlineData(32, 14, 3, 1)]
    [InlineData(64, 14, 4, 2)]
    [InlineData(1, 28, 4, 2)]
    public void TheSamplesGeometriesMatchPlainLoops(int channels, int size, int k, int stride) =>
        Check(Geometry(channels, size, size, k, stride, same: true), rows: 3, seed: channels + size);

    // Padding wider than the kernel: whole patches and whole kernel rows fall outside the image (one channel and many).
    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void PaddingWiderThanTheKernelMatchesPlainLoops(int channels) =>
        Check(new ConvGeometry(channels, 6, 7, 5, 6, 2, 2, 3, 4), rows: 2, seed: channels);

    private static void Check(ConvGeometry g, int rows, int seed)
    {
        var random = new Random(seed);
        float[] images = [.. Enumerable.Range(0, rows * g.InFeatures).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] columns = [.. Enumerable.Range(0, rows * g.OutPixels * g.Columns).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var (expectedColumns, expectedImages) = (Im2Col(images, g, rows), Col2Im(columns, g, rows));
        foreach (int threads in new[] { 1, 2 })
        {
            using var backend = new CpuBackend(threads);
            using var memory = backend.Allocate((long)rows * (g.InFeatures + g.OutPixels * g.Columns) * 2);
            long imageLength = (long)rows * g.InFeatures, columnLength = (long)rows * g.OutPixels * g.Columns;
            var ti = memory.View(0, rows, g.InFeatures);
            var tc = memory.View(imageLength, rows * g.OutPixels, g.Columns);
            var tc2 = memory.View(imageLength + columnLength, rows * g.OutPixels, g.Columns);
            var ti2 = memory.View(imageLength + 2 * columnLength, rows, g.InFeatures);
            backend.Upload(images, ti);
            backend.Upload(columns, tc2);
            backend.Fill(tc, float.NaN); // every column is written, padding included
            backend.Im2Col(ti, g, tc);
            backend.Col2Im(tc2, g, ti2);
            Assert.Equal(expectedColumns, Host(backend, tc));
            Assert.Equal(expectedImages, Host(backend, ti2));
        }
    }

    /// <summary>A convolution over (channels, height, width) with Same (TensorFlow's) or Valid padding.</summary>
    internal static ConvGeometry Geometry(int channels, int height, int width, int k, int stride, bool same)
    {
        int Out(int size) => same ? (size + stride - 1) / stride : (size - k + stride) / stride;
        int Pad(int size) => same ? Math.Max((Out(size) - 1) * stride + k - size, 0) / 2 : 0;
        return new ConvGeometry(channels, height, width, Out(height), Out(width), k, stride, Pad(height), Pad(width));
    }

    private static float[] Im2Col(float[] images, ConvGeometry g, int rows)
    {
        var columns = new float[rows * g.OutPixels * g.Columns];
        for (int r = 0; r < rows; r++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int row = (r * g.OutPixels + oh * g.OutWidth + ow) * g.Columns;
                    for (int ch = 0; ch < g.InChannels; ch++)
                    {
                        for (int kh = 0; kh < g.Kernel; kh++)
                        {
                            for (int kw = 0; kw < g.Kernel; kw++)
                            {
                                int ih = oh * g.Stride - g.PadTop + kh, iw = ow * g.Stride - g.PadLeft + kw;
                                bool inside = ih >= 0 && ih < g.InHeight && iw >= 0 && iw < g.InWidth;
                                columns[row + (ch * g.Kernel + kh) * g.Kernel + kw] = inside ? images[r * g.InFeatures + (ih * g.InWidth + iw) * g.InChannels + ch] : 0f;
                            }
                        }
                    }
                }
            }
        }

        return columns;
    }

    // Each image value's terms added in (oh, ow) order, as the backends' col2im does.
    private static float[] Col2Im(float[] columns, ConvGeometry g, int rows)
    {
        var images = new float[rows * g.InFeatures];
        for (int r = 0; r < rows; r++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int row = (r * g.OutPixels + oh * g.OutWidth + ow) * g.Columns;
                    for (int kh = 0; kh < g.Kernel; kh++)
                    {
                        for (int kw = 0; kw < g.Kernel; kw++)
                        {
                            int ih = oh * g.Stride - g.PadTop + kh, iw = ow * g.Stride - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth)
                            {
                                continue;
                            }

                            for (int ch = 0; ch < g.InChannels; ch++)
                            {
                                images[r * g.InFeatures + (ih * g.InWidth + iw) * g.InChannels + ch] += columns[row + (ch * g.Kernel + kh) * g.Kernel + kw];
                            }
                        }
                    }
                }
            }
        }

        return images;
    }

    internal static float[] Host(Backend backend, Tensor t)
    {
        var values = new float[t.Length];
        backend.Download(t, values);
        return values;
    }
}
