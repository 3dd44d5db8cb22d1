using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>
/// The three convolution passes the generated code runs (<see cref="Backend.Convolve"/>,
/// <see cref="Backend.ConvolveTransposed"/>, <see cref="Backend.ConvolutionWeightGradient"/>) on the CPU, against
/// double-precision loops: the direct path (no im2col) and, below its thresholds, the path that runs im2col a block of
/// images at a time, over the samples' geometries and random ones (kernel 1 to 7, stride 1 to 3, Same and Valid padding, odd sizes, 1 to 256 channels,
/// batch 1 to 300). Each output is filled with NaN first, so every element must be written; one, two and three
/// threads give the same bits, and so do the 512-bit kernels (AVX-512) and the 256-bit ones, save the thin scatter's
/// 512-bit tiles and rows that sum in an order of their own.
/// </summary>
public sealed class ConvolutionPassTests
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 48)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomGeometriesMatchTheDoubleReference(int seed)
    {
        var (g, features, rows) = RandomCase(seed);
        Check(g, features, rows, seed);
    }

    [Fact]
    public void MostRandomGeometriesTakeTheDirectPath()
    {
        int direct = Seeds().Count(seed => RandomCase((int)seed.Data) is var (g, features, rows) && DirectConvolution.Serves(g, features, rows));
        Assert.InRange(direct, 24, 36); // 28: the rest have few channels, few features or a small batch
    }

    private static (ConvGeometry Geometry, int Features, int Rows) RandomCase(int seed)
    {
        var random = new Random(1000 + seed);
        int k = random.Next(1, 8), stride = random.Next(1, 4), height = random.Next(k, 14), width = random.Next(k, 14);
        int channels = seed % 6 == 0 ? random.Next(1, 16) : seed % 6 == 1 ? random.Next(100, 257) : random.Next(16, 65);
        int features = seed % 5 == 0 ? random.Next(1, 16) : random.Next(16, 80);
        int rows = seed % 7 == 0 ? random.Next(1, MinRows) : random.Next(MinRows, 301);
        bool same = seed % 2 == 0;

        // The double reference's work stays under about 8 M multiply-adds a pass: halve the batch (to the direct path's
        // least), then the image, the channels and the features, in turn, until it does.
        long Work(ConvGeometry g) => (long)rows * g.OutPixels * g.Columns * features;
        for (int turn = 0; turn < 64 && Work(Geometry(channels, height, width, k, stride, same)) > 8_000_000; turn++)
        {
            switch (turn % 4)
            {
                case 0 when rows / 2 >= MinRows: rows /= 2; break;
                case 1: (height, width) = (Math.Max(k, height - 2), Math.Max(k, width - 2)); break;
                case 2 when channels / 2 >= MinChannels: channels /= 2; break;
                case 3 when features / 2 >= MinChannels: features /= 2; break;
            }
        }

        return (Geometry(channels, height, width, k, stride, same), features, rows);
    }

    // Every convolution of the samples (DCGAN, ACGAN, InfoGAN, BEGAN), as (channels, size, kernel, stride, features),
    // at the DCGAN's batch, plus strides past the kernel and big padding, where some pixels get no tap.
    [Theory]
    [InlineData(1, 28, 5, 2, 64)]
    [InlineData(64, 14, 5, 2, 128)]
    [InlineData(128, 7, 5, 1, 256)]
    [InlineData(128, 7, 3, 2, 64)]
    [InlineData(32, 14, 3, 1, 64)]
    [InlineData(64, 14, 4, 2, 128)]
    [InlineData(16, 9, 1, 3, 16)]
    [InlineData(20, 8, 2, 3, 17)]
    public void TheSamplesGeometriesMatchTheDoubleReference(int channels, int size, int k, int stride, int features)
    {
        var g = Geometry(channels, size, size, k, stride, same: true);
        Check(g, features, rows: size == 7 ? 40 : 24, seed: channels + size + k);
    }

    // Thin layers (under 16 channels) whose features are whole vectors take the thin path: 6-image tiles over a padded
    // copy (batches that leave a short last tile), scatter tiles of whole vectors of taps with one or two taps left as
    // dot products (k 1, 3, 5, 7 of one channel; 2 channels of 5x5) or a padded last vector (3 channels of 3x3), feature
    // tiles of 1 to 4 vectors, weight-gradient tiles of 1 to 6 taps, Valid padding, and strides past the kernel. With
    // AVX-512, a scatter tile of 24 taps takes two features at a time (5x5 with a dot product; 6 channels of 2x2 without;
    // 14 channels of 2x2 after a tile of 32), and image rows of 17 to 32 floats sum a row of pixels' runs in registers
    // (runs across the two vectors, strides 1 to 3, several channels).
    [Theory]
    [InlineData(1, 13, 3, 1, 16, 5, true)]
    [InlineData(3, 11, 7, 3, 24, 40, false)]
    [InlineData(2, 9, 4, 2, 8, 300, true)]
    [InlineData(1, 28, 5, 2, 40, 17, true)]
    [InlineData(1, 28, 5, 2, 64, 13, true)]
    [InlineData(1, 12, 1, 1, 72, 7, true)]
    [InlineData(1, 14, 7, 1, 32, 6, true)]
    [InlineData(2, 10, 5, 2, 56, 1, true)]
    [InlineData(3, 9, 3, 2, 104, 8, false)]
    [InlineData(15, 8, 2, 3, 16, 9, false)]
    [InlineData(4, 7, 6, 1, 8, 2, true)]
    [InlineData(1, 28, 5, 2, 16, 7, true)]
    [InlineData(6, 9, 2, 1, 32, 5, false)]
    [InlineData(14, 8, 2, 1, 16, 3, true)]
    [InlineData(1, 17, 4, 3, 8, 4, true)]
    [InlineData(2, 16, 2, 2, 16, 2, false)]
    [InlineData(1, 16, 2, 1, 16, 2, true)]
    public void ThinLayersWithFeaturesInWholeVectors(int channels, int size, int k, int stride, int features, int rows, bool same)
    {
        var g = Geometry(channels, size, size, k, stride, same);
        Assert.True(DirectConvolution.ServesThin(g, features, rows));
        Check(g, features, rows, seed: size + features);
    }

    // Below the direct path's batch, or with features that are no whole vectors, the passes go through im2col a block of
    // images at a time; with features in whole vectors, its weight gradient is built from tiles that read the gradient
    // rows and the block's columns in place (the last tile's rows past the taps read the next column row).
    [Theory]
    [InlineData(16, 9, 3, 1, 8, 30)]
    [InlineData(20, 7, 5, 2, 16, 9)]
    [InlineData(1, 13, 3, 1, 17, 40)]
    [InlineData(2, 9, 4, 2, 12, 31)]
    public void ThinOrSmallLayersTheThinPathDoesNotServe(int channels, int size, int k, int stride, int features, int rows)
    {
        var g = Geometry(channels, size, size, k, stride, same: true);
        Assert.False(DirectConvolution.Serves(g, features, rows));
        Assert.False(DirectConvolution.ServesThin(g, features, rows));
        Check(g, features, rows, seed: size + features);
    }

    [Fact]
    public void TheIm2colPathSumsALargeWeightGradientBlockAfterBlock()
    {
        // 15 channels (below the direct path), 90 x 735 weights (past the partials' limit), 89 images a block: two blocks.
        var g = new ConvGeometry(15, 7, 7, 1, 1, 7, 1, 0, 0);
        Assert.Equal(89, DirectConvolution.BlockImages(g));
        Check(g, features: 90, rows: 100, seed: 3);
    }

    [Fact]
    public void TheIm2colPathSumsASmallWeightGradientAsPartials()
    {
        // One channel at 28 x 28, stride 1, features no whole vector: 3 images a block, 20 blocks, summed as 16 partials
        // of one or two blocks.
        var g = Geometry(1, 28, 28, 5, 1, same: true);
        Assert.Equal(3, DirectConvolution.BlockImages(g));
        Assert.False(DirectConvolution.ServesThin(g, 7, 60));
        Check(g, features: 7, rows: 60, seed: 4);
    }

    [Fact]
    public void PaddingLargerThanTheKernelLeavesPixelsWithoutTaps()
    {
        // Output row 0 and column 0 see only padding, so the gather writes zeros there and the scatter never reaches them.
        var g = new ConvGeometry(16, 6, 6, 5, 5, 2, 2, 3, 3);
        Check(g, features: 16, rows: MinRows, seed: 7);
    }

    [Theory]
    [InlineData(1, 64, 32)]
    [InlineData(2, 64, 32)]
    [InlineData(2, 4, 32)]
    [InlineData(2, 64, 1)] // the thin path
    [InlineData(1, 9, 3)]
    public void WarmPassesAllocateNothing(int threads, int rows, int channels)
    {
        var g = Geometry(channels, 9, 9, 5, 2, same: true);
        const int features = 24;
        using var backend = new CpuBackend(threads);
        using var memory = backend.Allocate((long)rows * (g.InFeatures + (g.OutPixels * (features + g.Columns))) + (2L * features * g.Columns));
        var images = memory.View(0, rows, g.InFeatures);
        var matrix = memory.View((long)rows * g.InFeatures, rows * g.OutPixels, features);
        var columns = memory.View((long)rows * (g.InFeatures + (g.OutPixels * features)), rows * g.OutPixels, g.Columns);
        var weights = memory.View((long)rows * (g.InFeatures + (g.OutPixels * (features + g.Columns))), features, g.Columns);
        var gradient = memory.View(weights.Offset + weights.Length, features, g.Columns);
        backend.RandomNormal(memory.All, 1, 0, 0);
        void Passes()
        {
            backend.Convolve(images, g, weights, matrix, columns);
            backend.ConvolveTransposed(matrix, g, weights, images, columns);
            bool held = backend.ConvolutionWeightGradient(matrix, images, g, gradient, 1f, columns);
            backend.Convolve(images, g, weights, matrix, columns, held);
        }

        Passes();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Passes();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // A geometry no convolution has is refused by name before any pointer walks it (the direct path would read outside
    // the weights with negative padding, and divide by a zero stride).
    [Theory]
    [InlineData(2, 0, 0, 0)]
    [InlineData(2, 1, -1, 0)]
    [InlineData(2, 1, 0, -2)]
    [InlineData(0, 1, 0, 0)]
    public void AGeometryThatIsNoConvolutionIsRefused(int kernel, int stride, int padTop, int padLeft)
    {
        var g = new ConvGeometry(16, 6, 6, 3, 3, kernel, stride, padTop, padLeft);
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate((16 * g.InFeatures) + (16 * 9 * 16) + (16 * 16 * Math.Max(1, g.Columns)));
        var images = memory.View(0, 16, g.InFeatures);
        var output = memory.View(16L * g.InFeatures, 16 * 9, 16);
        var weights = memory.View((16L * g.InFeatures) + (16 * 9 * 16), 16, Math.Max(1, g.Columns));
        var error = Assert.Throws<ArgumentException>(() => backend.Convolve(images, g, weights, output, default));
        Assert.Equal("geometry", error.ParamName);
        Assert.Contains("not a convolution", error.Message);
        Assert.Throws<ArgumentException>(() => backend.ConvolveTransposed(output, g, weights, images, default));
        Assert.Throws<ArgumentException>(() => backend.ConvolutionWeightGradient(output, images, g, weights, 0f, default));
    }

    [Fact]
    public void NetworksOnTheCpuAllocateNoColumnMatrix()
    {
        using var backend = new CpuBackend(2);
        using var generator = new global::Dcgan.DcganGenerator(backend, 1);
        generator.EnsureCapacity(32);

        // The column matrix of the 256 -> 128 transposed convolution alone is 156,800 floats a row, more than every
        // activation and its gradient together.
        Assert.Equal(156_800, generator.Layout.ScratchPerSample);
        Assert.True(generator.ArenaLength < 32 * generator.Layout.ScratchPerSample, $"{generator.ArenaLength} floats");
        backend.RandomNormal(generator.Input(32), 1, 0, 0);
        generator.Forward(32);
        generator.Backward(32, generator.OutputGradient(32));
        Assert.All(Host(backend, generator.Output(32)), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void TheDirectPathServesTheDcgansLargeLayersAndTheThinPathItsThinOnes()
    {
        Assert.True(DirectConvolution.Serves(Geometry(128, 7, 7, 5, 1, same: true), 256, 256)); // generator's first transposed
        Assert.True(DirectConvolution.Serves(Geometry(64, 14, 14, 5, 2, same: true), 128, 512)); // discriminator's second
        Assert.False(DirectConvolution.Serves(Geometry(1, 28, 28, 5, 2, same: true), 64, 512)); // discriminator's first
        Assert.False(DirectConvolution.Serves(Geometry(1, 28, 28, 5, 2, same: true), 64, 256)); // generator's last
        Assert.True(DirectConvolution.ServesThin(Geometry(1, 28, 28, 5, 2, same: true), 64, 512));
        Assert.True(DirectConvolution.ServesThin(Geometry(1, 28, 28, 5, 2, same: true), 64, 256));
        Assert.False(DirectConvolution.ServesThin(Geometry(128, 7, 7, 5, 1, same: true), 256, 256));
        Assert.False(DirectConvolution.Serves(Geometry(128, 7, 7, 5, 1, same: true), 256, MinRows - 1));
    }

    private const int MinRows = DirectConvolution.MinRows;
    private const int MinChannels = DirectConvolution.MinChannels;

    private static void Check(ConvGeometry g, int features, int rows, int seed)
    {
        var random = new Random(seed);
        float[] Values(long n) => [.. Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        long imageLength = (long)rows * g.InFeatures, matrixLength = (long)rows * g.OutPixels * features, weightLength = (long)features * g.Columns;
        float[] images = Values(imageLength), matrix = Values(matrixLength), weights = Values(weightLength), oldGradient = Values(weightLength);
        var (gathered, gatherBound) = Gather(images, weights, g, features, rows);
        var (scattered, scatterBound) = Scatter(matrix, weights, g, features, rows);
        var (gradient, gradientBound) = WeightGradient(matrix, images, g, features, rows);

        // The last backend keeps to the 256-bit kernels; where AVX-512 exists, the others' 512-bit ones must give its bits,
        // save a thin scatter that sums in an order of its own there (each checked against the reference above).
        bool ownOrder = DirectConvolution.ServesThin(g, features, rows) && DirectConvolution.WideScatterOrder(g, features) && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        float[][]? first = null;
        foreach (var (threads, wide) in new[] { (1, true), (2, true), (3, true), (2, false) })
        {
            using var backend = new CpuBackend(threads, allowAvx512: wide);
            long columnLength = (long)rows * g.OutPixels * g.Columns;
            using var memory = backend.Allocate((2 * imageLength) + (2 * matrixLength) + (3 * weightLength) + columnLength);
            long at = 0;
            Tensor Next(int r, int c)
            {
                var view = memory.View(at, r, c);
                at += (long)r * c;
                return view;
            }

            Tensor ti = Next(rows, g.InFeatures), tm = Next(rows * g.OutPixels, features), tw = Next(features, g.Columns);
            Tensor gatherOut = Next(rows * g.OutPixels, features), scatterOut = Next(rows, g.InFeatures);
            Tensor set = Next(features, g.Columns), added = Next(features, g.Columns), columns = Next(rows * g.OutPixels, g.Columns);
            backend.Upload(images, ti);
            backend.Upload(matrix, tm);
            backend.Upload(weights, tw);
            backend.Fill(gatherOut, float.NaN);
            backend.Fill(scatterOut, float.NaN);
            backend.Fill(set, float.NaN);
            backend.Upload(oldGradient, added);

            backend.Convolve(ti, g, tw, gatherOut, columns);
            backend.ConvolveTransposed(tm, g, tw, scatterOut, columns);
            backend.ConvolutionWeightGradient(tm, ti, g, set, 0f, columns);
            bool held = backend.ConvolutionWeightGradient(tm, ti, g, added, 1f, columns);
            Assert.False(held); // the CPU never goes through the caller's column matrix

            float[][] results = [Host(backend, gatherOut), Host(backend, scatterOut), Host(backend, set), Host(backend, added)];
            Near(gathered, gatherBound, results[0], "gather");
            Near(scattered, scatterBound, results[1], "scatter");
            Near(gradient, gradientBound, results[2], "weight gradient");
            Near([.. gradient.Select((x, i) => x + oldGradient[i])], [.. gradientBound.Select((x, i) => x + Math.Abs(oldGradient[i]))], results[3], "added weight gradient");

            // The columns are the CPU's to ignore: garbage in them changes nothing, and none at all is fine.
            backend.Fill(gatherOut, float.NaN);
            backend.Fill(columns, float.NaN);
            backend.Convolve(ti, g, tw, gatherOut, columns);
            Assert.Equal(results[0], Host(backend, gatherOut));
            backend.Fill(gatherOut, float.NaN);
            backend.Fill(scatterOut, float.NaN);
            backend.Fill(set, float.NaN);
            backend.Convolve(ti, g, tw, gatherOut, default);
            backend.ConvolveTransposed(tm, g, tw, scatterOut, default);
            backend.ConvolutionWeightGradient(tm, ti, g, set, 0f, default);
            Assert.Equal(results[0], Host(backend, gatherOut));
            Assert.Equal(results[1], Host(backend, scatterOut));
            Assert.Equal(results[2], Host(backend, set));

            if (first is null)
            {
                first = results;
            }
            else
            {
                for (int i = 0; i < results.Length; i++)
                {
                    if (!(i == 1 && ownOrder && !wide))
                    {
                        Assert.Equal(first[i], results[i]);
                    }
                }
            }
        }
    }

    private static void Near(double[] expected, double[] bound, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // Float sums of n terms drift by about sqrt(n) ulps of the terms' size; a wrong or missing term is far more.
            double tolerance = (2e-6 * bound[i]) + 1e-30;
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
            {
                Assert.Fail($"{what}[{i}] is {actual[i]}, expected {expected[i]} within {tolerance}.");
            }
        }
    }

    /// <summary>Calls <paramref name="tap"/> with (row, output pixel, column, image index) for every tap inside an image.</summary>
    private static void ForEachTap(ConvGeometry g, int rows, Action<int, int, int, long> tap)
    {
        int k = g.Kernel;
        for (int r = 0; r < rows; r++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    for (int c = 0; c < g.InChannels; c++)
                    {
                        for (int kh = 0; kh < k; kh++)
                        {
                            for (int kw = 0; kw < k; kw++)
                            {
                                int ih = (oh * g.Stride) + kh - g.PadTop, iw = (ow * g.Stride) + kw - g.PadLeft;
                                if (ih >= 0 && ih < g.InHeight && iw >= 0 && iw < g.InWidth)
                                {
                                    long image = ((long)r * g.InFeatures) + ((((long)ih * g.InWidth) + iw) * g.InChannels) + c;
                                    tap(r, (oh * g.OutWidth) + ow, (((c * k) + kh) * k) + kw, image);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static (double[], double[]) Gather(float[] images, float[] weights, ConvGeometry g, int features, int rows)
    {
        var (sum, bound) = (new double[(long)rows * g.OutPixels * features], new double[(long)rows * g.OutPixels * features]);
        ForEachTap(g, rows, (r, p, column, image) =>
        {
            long o = (((long)r * g.OutPixels) + p) * features;
            for (int f = 0; f < features; f++)
            {
                double term = (double)images[image] * weights[((long)f * g.Columns) + column];
                sum[o + f] += term;
                bound[o + f] += Math.Abs(term);
            }
        });
        return (sum, bound);
    }

    private static (double[], double[]) Scatter(float[] matrix, float[] weights, ConvGeometry g, int features, int rows)
    {
        var (sum, bound) = (new double[(long)rows * g.InFeatures], new double[(long)rows * g.InFeatures]);
        ForEachTap(g, rows, (r, p, column, image) =>
        {
            long o = (((long)r * g.OutPixels) + p) * features;
            for (int f = 0; f < features; f++)
            {
                double term = (double)matrix[o + f] * weights[((long)f * g.Columns) + column];
                sum[image] += term;
                bound[image] += Math.Abs(term);
            }
        });
        return (sum, bound);
    }

    private static (double[], double[]) WeightGradient(float[] matrix, float[] images, ConvGeometry g, int features, int rows)
    {
        var (sum, bound) = (new double[(long)features * g.Columns], new double[(long)features * g.Columns]);
        ForEachTap(g, rows, (r, p, column, image) =>
        {
            long o = (((long)r * g.OutPixels) + p) * features;
            for (int f = 0; f < features; f++)
            {
                double term = (double)matrix[o + f] * images[image];
                sum[((long)f * g.Columns) + column] += term;
                bound[((long)f * g.Columns) + column] += Math.Abs(term);
            }
        });
        return (sum, bound);
    }

    private static ConvGeometry Geometry(int channels, int height, int width, int k, int stride, bool same) =>
        Im2ColTests.Geometry(channels, height, width, k, stride, same);

    private static float[] Host(Backend backend, Tensor t) => Im2ColTests.Host(backend, t);
}
