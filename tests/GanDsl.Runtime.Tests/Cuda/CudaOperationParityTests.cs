using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Cuda;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// Each backend operation on the GPU against the CPU backend on the same inputs: cuBLAS GEMMs in every
/// transpose combination, the runtime kernels (losses, optimizers, random numbers, gathers, convolution
/// helpers, dropout, embeddings, BatchNorm) and the counters they read. Skipped, with the reason,
/// where there is no GPU.
/// </summary>
public sealed class CudaOperationParityTests
{
    public static TheoryData<int, int, int, bool, bool> GemmShapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, n, k) in new[] { (64, 256, 100), (7, 5, 3), (128, 1, 50), (1, 784, 256), (33, 17, 1) })
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    data.Add(m, n, k, ta, tb);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GemmShapes))]
    public void GemmMatchesTheCpu(int m, int n, int k, bool transposeA, bool transposeB)
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var a = Gpu.Random(m * k, 1);
        var b = Gpu.Random(k * n, 2);
        var c = Gpu.Random(m * n, 3);
        foreach (float beta in new[] { 0f, 1f })
        {
            Tensor Run(Backend backend)
            {
                var ta = Gpu.Tensor(backend, a, transposeA ? k : m, transposeA ? m : k);
                var tb = Gpu.Tensor(backend, b, transposeB ? n : k, transposeB ? k : n);
                var tc = Gpu.Tensor(backend, c, m, n);
                backend.Gemm(ta, transposeA, tb, transposeB, tc, beta);
                return tc;
            }

            Gpu.Close(Run(cpu), Run(gpu), 1e-5, $"GEMM ({m}, {n}, {k}) transA {transposeA} transB {transposeB} beta {beta}");
        }
    }

    [Fact]
    public void ElementwiseAndReductionsMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var y = Gpu.Random(37 * 19, 1);
        var bias = Gpu.Random(19, 2);
        Gpu.Close(Run(cpu), Run(gpu), 1e-6, "AddBias, BiasGradient, Clamp, Fill, Copy");

        Tensor Run(Backend backend)
        {
            var t = Gpu.Tensor(backend, y, 37, 19);
            var bt = Gpu.Tensor(backend, bias, 1, 19);
            backend.AddBias(t, bt);
            var db = Gpu.Tensor(backend, bias, 1, 19);
            backend.BiasGradient(t, db, accumulate: true);
            backend.BiasGradient(t, db, accumulate: true);
            var all = backend.Allocate(37 * 19 + 19 + 40);
            backend.Copy(t, all.View(0, 37, 19));
            backend.Copy(db, all.View(37 * 19, 1, 19));
            backend.Fill(all.View(37 * 19 + 19, 1, 20), 0.75f);
            backend.Clamp(all.View(0, 1, 37 * 19), 0.5f);
            return all.All;
        }
    }

    // The reparameterisation's draw and its gradient, written and accumulated, over more elements than one block.
    [Fact]
    public void ReparameterizeMatchesTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int rows = 97, cols = 10, n = rows * cols;
        var (mean, logVariance, noise, dz) = (Gpu.Random(n, 11), Gpu.Random(n, 12, 3f), Gpu.Random(n, 13), Gpu.Random(n, 14));
        Gpu.Close(Run(cpu), Run(gpu), 1e-6, "Reparameterize and ReparameterizeBackward");

        Tensor Run(Backend backend)
        {
            var all = backend.Allocate(5L * n);
            var (z, dm, dv, dm2, dv2) = (all.View(0, rows, cols), all.View(n, rows, cols), all.View(2L * n, rows, cols), all.View(3L * n, rows, cols), all.View(4L * n, rows, cols));
            var (tm, tv, te, tdz) = (Gpu.Tensor(backend, mean, rows, cols), Gpu.Tensor(backend, logVariance, rows, cols), Gpu.Tensor(backend, noise, rows, cols), Gpu.Tensor(backend, dz, rows, cols));
            backend.Reparameterize(tm, tv, te, z);
            backend.ReparameterizeBackward(tdz, tv, te, dm, dv);
            backend.Copy(tv, dm2);
            backend.Copy(tm, dv2);
            backend.ReparameterizeBackward(tdz, tv, te, dm2, dv2, accumulate: true);
            return all.All;
        }
    }

    // The moving average over several updates, its weight read from a counter (warm-up, then the decay), on more
    // elements than a grid of blocks covers in one pass.
    [Fact]
    public void MovingAverageMatchesTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int n = 70_001;
        var values = Gpu.Random(4 * n, 31);
        var start = Gpu.Random(n, 32);
        Gpu.Close(Run(cpu), Run(gpu), 1e-6, "MovingAverage");

        Tensor Run(Backend backend)
        {
            var all = backend.Allocate(5L * n);
            var average = all.View(4L * n, 1, n);
            backend.Upload(values, all.View(0, 1, 4 * n));
            backend.Upload(start, average);
            var counter = backend.CreateCounter(0);
            foreach (ulong t in new ulong[] { 1, 2, 50, 9_000 })
            {
                backend.SetCounter(counter, t);
                backend.MovingAverage(all.View((long)(t % 4) * n, 1, n), average, 0.999f, counter);
            }

            return average;
        }
    }

    // The image pool from empty through full, on rows wider than a block of threads: the images handed on, the pool and its count.
    [Fact]
    public void ImagePoolMatchesTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int rows = 8, width = 300, capacity = 20, steps = 6;
        var images = Gpu.Random(steps * rows * width, 21);
        var draws = Gpu.Random(steps * rows * 2, 22).Select(v => (v + 1f) / 2f).ToArray();
        Gpu.Close(Run(cpu), Run(gpu), 0, "ImagePool");

        Tensor Run(Backend backend)
        {
            var all = backend.Allocate((long)(steps * rows + capacity) * width + 1);
            var pool = all.View((long)steps * rows * width, capacity, width);
            var filled = all.View(((long)steps * rows + capacity) * width, 1, 1);
            backend.Fill(pool, 0f);
            backend.Fill(filled, 0f);
            for (int s = 0; s < steps; s++)
            {
                var batch = all.View((long)s * rows * width, rows, width);
                backend.Upload(images.AsSpan(s * rows * width, rows * width), batch);
                backend.ImagePool(batch, pool, Gpu.Tensor(backend, draws[(s * rows * 2)..((s + 1) * rows * 2)], rows, 2), filled);
            }

            return all.All;
        }
    }

    // Every loss the generator writes, on image-sized rows (several blocks of elements per thread), with a target tensor,
    // the second operand where the loss takes one, every gradient added to what was there, a device weight and all
    // three outputs, in two segments.
    [Theory]
    [MemberData(nameof(LossKinds))]
    public void EveryLossMatchesTheCpuOnManyOutputsPerRow(LossKind kind)
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int rows = 6, cols = 300, n = rows * cols;
        var (x, v, t) = Numerics.LossDefinitions.Operands(kind, n, seed: 40 + (int)kind);
        bool target = Numerics.LossDefinitions.UsesTarget(kind), second = Numerics.LossDefinitions.UsesSecond(kind);
        var start = Gpu.Random(3 * n, 7);
        Gpu.Close(Run(cpu), Run(gpu), 1e-5, $"Loss {kind}");

        Tensor Run(Backend backend)
        {
            // Gradients dx, dv, dt, then per segment sum, score, value, and a weight of -0.5.
            var all = backend.Allocate(3 * n + 7);
            backend.Upload(start, all.View(0, 3, n));
            backend.Fill(all.View(3 * n, 1, 7), 0.25f);
            backend.Fill(all.View(3 * n + 6, 1, 1), -0.5f);
            var ops = new LossOperands(Gpu.Tensor(backend, x, rows, cols), all.View(0, rows, cols),
                target ? Gpu.Tensor(backend, t, rows, cols) : default, target ? all.View(2 * n, rows, cols) : default,
                second ? Gpu.Tensor(backend, v, rows, cols) : default, second ? all.View(n, rows, cols) : default, accumulate: true);
            LossSegment Segment(int segmentRows, int slot) => new()
            {
                Rows = segmentRows, GradientScale = 1f / n, ValueScale = 1f / (segmentRows * cols), Weight = all.View(3 * n + 6, 1, 1),
                Sum = all.View(3 * n + slot, 1, 1), Score = all.View(3 * n + slot + 1, 1, 1), Value = all.View(3 * n + slot + 2, 1, 1),
            };
            backend.Loss(kind, ops, Segment(2, 0), Segment(4, 3));
            return all.All;
        }
    }

    public static TheoryData<LossKind> LossKinds()
    {
        var data = new TheoryData<LossKind>();
        foreach (var kind in Enum.GetValues<LossKind>())
        {
            data.Add(kind);
        }

        return data;
    }

    [Fact]
    public void LossesMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var logits = Gpu.Random(300, 5, 6f);
        foreach (var kind in new[] { LossKind.BinaryCrossEntropy, LossKind.LogOneMinusSigmoid, LossKind.HalfSquaredError, LossKind.Linear, LossKind.Hinge })
        {
            foreach (float target in new[] { 1f, 0f, 0.9f, -1f })
            {
                Gpu.Close(Run(cpu), Run(gpu), 1e-5, $"Loss {kind} on logits, target {target}");

                Tensor Run(Backend backend)
                {
                    var l = Gpu.Tensor(backend, logits, 300, 1);
                    var all = backend.Allocate(302);
                    backend.Loss(kind, new LossOperands(l, all.View(0, 300, 1)),
                        new LossSegment { Rows = 300, Target = target, GradientScale = 1f / 300, ValueScale = 1f, Sum = all.View(300, 1, 1), Score = all.View(301, 1, 1) });
                    return all.All;
                }
            }
        }

        // Two segments over [fake; real] in one launch (the discriminator's step): each segment's rows, gradient and
        // statistics as the single-segment calls on the CPU give them.
        foreach (var (kind, fake, real) in new[] { (LossKind.BinaryCrossEntropy, 0f, 0.9f), (LossKind.Hinge, 1f, -1f) })
        {
            var expected = Separate(cpu);
            Gpu.Close(expected, Paired(gpu), 1e-5, $"Loss over two segments, {kind}");
            Gpu.Close(expected, Paired(cpu), 0, $"Loss over two segments on the CPU, {kind}");

            LossSegment Segment(Tensor all, int rows, float target, int slot) => new()
            {
                Rows = rows, Target = target, GradientScale = 1f / 150, ValueScale = 1f, Sum = all.Buffer.View(300 + slot, 1, 1), Score = all.Buffer.View(301 + slot, 1, 1),
            };

            Tensor Paired(Backend backend)
            {
                var l = Gpu.Tensor(backend, logits, 300, 1);
                var all = backend.Allocate(304);
                backend.Fill(all.View(300, 1, 4), 0.5f);
                backend.Loss(kind, new LossOperands(l, all.View(0, 300, 1)), Segment(all.All, 110, fake, 0), Segment(all.All, 190, real, 2));
                return all.All;
            }

            Tensor Separate(Backend backend)
            {
                var l = Gpu.Tensor(backend, logits, 300, 1);
                var all = backend.Allocate(304);
                backend.Fill(all.View(300, 1, 4), 0.5f);
                backend.Loss(kind, new LossOperands(l.Slice(0, 110), all.View(0, 110, 1)), Segment(all.All, 110, fake, 0));
                backend.Loss(kind, new LossOperands(l.Slice(110, 190), all.View(110, 190, 1)), Segment(all.All, 190, real, 2));
                return all.All;
            }
        }

        // Softmax cross-entropy, written and then added to (with a device weight), with all three outputs.
        var classes = Gpu.Random(70 * 10, 6, 4f);
        var labels = Enumerable.Range(0, 70).Select(i => (float)(i * 3 % 10)).ToArray();
        Gpu.Close(Softmax(cpu), Softmax(gpu), 1e-5, "SoftmaxCrossEntropy");

        Tensor Softmax(Backend backend)
        {
            var all = backend.Allocate(705);
            backend.Fill(all.View(704, 1, 1), 0.5f);
            var segment = new LossSegment
            {
                Rows = 70, GradientScale = 1f / 70, ValueScale = 1f / 70, Sum = all.View(700, 1, 1), Score = all.View(701, 1, 1), Value = all.View(702, 1, 1),
            };
            backend.SoftmaxCrossEntropy(Gpu.Tensor(backend, classes, 70, 10), Gpu.Tensor(backend, labels, 70, 1), all.View(0, 70, 10), segment);
            backend.SoftmaxCrossEntropy(Gpu.Tensor(backend, classes, 70, 10), Gpu.Tensor(backend, labels, 70, 1), all.View(0, 70, 10),
                segment with { Weight = all.View(704, 1, 1), Value = all.View(703, 1, 1) }, accumulate: true);
            return all.All;
        }
    }

    [Fact]
    public void OptimizersMatchTheCpuAndReadTheirStepFromACounter()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int n = 10_007;
        var p = Gpu.Random(n, 1);
        var g = Gpu.Random(n, 2, 0.1f);
        foreach (var settings in new[] { new AdamSettings(), new AdamSettings(1e-3, 0.9, 0.99, 1e-7, 0.01) })
        {
            Gpu.Close(Adam(cpu), Adam(gpu), 1e-6, $"Adam {settings}");

            Tensor Adam(Backend backend)
            {
                var all = backend.Allocate(3 * n + 1);
                backend.Upload(p, all.View(0, 1, n));
                var grad = Gpu.Tensor(backend, g, 1, n);
                using var step = backend.CreateCounter(6);
                for (int i = 0; i < 3; i++)
                {
                    backend.AddToCounter(step, 1);
                    backend.Adam(all.View(0, 1, n), grad, all.View(n, 1, n), all.View(2 * n, 1, n), settings, step, all.View(3 * n, 1, 1));
                }

                return all.All;
            }
        }

        Gpu.Close(RmsProp(cpu), RmsProp(gpu), 1e-6, "RMSprop");

        Tensor RmsProp(Backend backend)
        {
            var all = backend.Allocate(2 * n + 1);
            backend.Upload(p, all.View(0, 1, n));
            var grad = Gpu.Tensor(backend, g, 1, n);
            backend.RmsProp(all.View(0, 1, n), grad, all.View(n, 1, n), new RmsPropSettings(), all.View(2 * n, 1, 1));
            backend.RmsProp(all.View(0, 1, n), grad, all.View(n, 1, n), new RmsPropSettings(), all.View(2 * n, 1, 1));
            return all.All;
        }

        // A NaN gradient raises the flag.
        var bad = (float[])g.Clone();
        bad[4321] = float.NaN;
        var flag = gpu.Allocate(1);
        var state = gpu.Allocate(3 * n);
        gpu.Adam(state.View(0, 1, n), Gpu.Tensor(gpu, bad, 1, n), state.View(n, 1, n), state.View(2 * n, 1, n), new AdamSettings(), 1, flag.All);
        Assert.Equal(1f, Gpu.Host(flag.All)[0]);

        // So does a finite gradient too large to square (the second moment overflows), for both optimizers.
        var huge = (float[])g.Clone();
        huge[77] = 1e30f;
        foreach (bool adam in new[] { true, false })
        {
            var clean = gpu.Allocate(1);
            var fresh = gpu.Allocate(3 * n);
            var gradient = Gpu.Tensor(gpu, huge, 1, n);
            if (adam)
            {
                gpu.Adam(fresh.View(0, 1, n), gradient, fresh.View(n, 1, n), fresh.View(2 * n, 1, n), new AdamSettings(), 1, clean.All);
            }
            else
            {
                gpu.RmsProp(fresh.View(0, 1, n), gradient, fresh.View(n, 1, n), new RmsPropSettings(), clean.All);
            }

            Assert.Equal(1f, Gpu.Host(clean.All)[0]);
        }
    }

    [Fact]
    public void RandomNumbersMatchTheCpuAtCounterPositions()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        foreach (int length in new[] { 1, 6, 6400, 100_003 })
        {
            Gpu.Close(Draw(cpu), Draw(gpu), 1e-6, $"RandomNormal and RandomUniform, {length} values");

            Tensor Draw(Backend backend)
            {
                var all = backend.Allocate(3L * length);
                using var counter = backend.CreateCounter(40);
                backend.AddToCounter(counter, 2);
                backend.RandomNormal(all.View(0, 1, length), 7, 3, counter.Times(1000, 5));
                backend.RandomUniform(all.View(length, 1, length), -0.5f, 2f, 7, 4, counter);
                backend.RandomNormal(all.View(2L * length, 1, length), 7, 3, 42_005);
                return all.All;
            }
        }

        // The counter form and the constant it stands for draw the same numbers.
        var viaCounter = Gpu.Host(Draw2(gpu, counter: true));
        var viaConstant = Gpu.Host(Draw2(gpu, counter: false));
        Assert.Equal(viaConstant, viaCounter);

        static Tensor Draw2(Backend backend, bool counter)
        {
            var t = backend.Allocate(1000).All;
            using var c = backend.CreateCounter(12);
            backend.RandomNormal(t, 1, 2, counter ? c.Times(3, 1) : 37UL);
            return t;
        }
    }

    [Fact]
    public void GathersReadTheOrderAtTheCountersPosition()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int count = 50, width = 13;
        var pixels = new byte[count * width];
        new Random(3).NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        var order = Enumerable.Range(0, count).Select(i => (i * 17 + 3) % count).ToArray();
        Gpu.Close(Gather(cpu), Gather(gpu), 0, "GatherImages and GatherLabels");

        Tensor Gather(Backend backend)
        {
            using var set = backend.CreateImageSet(pixels, count, width, labels);
            set.SetOrder(order);
            var all = backend.Allocate(8 * width + 8 + 8 * width);
            using var position = backend.CreateCounter(20);
            backend.GatherImages(set, position, all.View(0, 8, width));
            backend.GatherLabels(set, position.Times(1, 3), all.View(8 * width, 8, 1));
            backend.GatherImages(set, 41, all.View(8 * width + 8, 8, width));
            backend.Synchronize();
            return all.All;
        }
    }

    [Fact]
    public void WganGpKernelsMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        const int rows = 37, width = 784;
        var real = Gpu.Random(rows * width, 1);
        var fake = Gpu.Random(rows * width, 2);
        Gpu.Close(Run(cpu), Run(gpu), 1e-5, "Interpolate and GradientPenalty");

        Tensor Run(Backend backend)
        {
            var all = backend.Allocate(2L * rows * width + 2);
            var mix = all.View(0, rows, width);
            using var step = backend.CreateCounter(9);
            backend.Interpolate(Gpu.Tensor(backend, real, rows, width), Gpu.Tensor(backend, fake, rows, width), mix, 5, 6, step.Times(10));
            backend.GradientPenalty(mix, 10f / rows, all.View((long)rows * width, rows, width), all.View(2L * rows * width, 1, 2));
            return all.All;
        }
    }

    [Fact]
    public void ConvolutionPassesMatchTheCpusDirectPath()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();

        // Geometries the CPU runs without im2col (batch and channels at its thresholds), with strides 1 and 2 and
        // padding on every side; the GPU runs im2col and one GEMM.
        foreach (var (g, features) in new[] { (new ConvGeometry(32, 9, 9, 5, 5, 5, 2, 2, 2), 24), (new ConvGeometry(16, 7, 6, 7, 6, 3, 1, 1, 1), 20) })
        {
            int rows = DirectConvolution.MinRows;
            Assert.True(DirectConvolution.Serves(g, features, rows));
            var images = Gpu.Random(rows * g.InFeatures, 11);
            var matrix = Gpu.Random(rows * g.OutPixels * features, 12);
            var weights = Gpu.Random(features * g.Columns, 13);
            var old = Gpu.Random(features * g.Columns, 14);
            Gpu.Close(Run(cpu), Run(gpu), 1e-5, $"Convolve, ConvolveTransposed and ConvolutionWeightGradient {g}");

            // The GPU goes through the column matrix, so it refuses to run without one.
            Assert.True(gpu.ConvolutionNeedsColumns);
            var noColumns = Assert.Throws<ArgumentException>(() => gpu.Convolve(
                Gpu.Tensor(gpu, images, rows, g.InFeatures), g, Gpu.Tensor(gpu, weights, features, g.Columns), gpu.Allocate((long)rows * g.OutPixels * features).View(0, rows * g.OutPixels, features), default));
            Assert.Equal("columns", noColumns.ParamName);

            Tensor Run(Backend backend)
            {
                long outputs = (long)rows * g.OutPixels * features, pixels = (long)rows * g.InFeatures, w = (long)features * g.Columns;
                var all = backend.Allocate(outputs + pixels + (2 * w));
                var columns = backend.Allocate((long)rows * g.OutPixels * g.Columns).View(0, rows * g.OutPixels, g.Columns);
                var x = Gpu.Tensor(backend, images, rows, g.InFeatures);
                var y = Gpu.Tensor(backend, matrix, rows * g.OutPixels, features);
                var wt = Gpu.Tensor(backend, weights, features, g.Columns);
                var set = all.View(outputs + pixels, features, g.Columns);
                var added = all.View(outputs + pixels + w, features, g.Columns);
                backend.Upload(old, added);
                backend.Convolve(x, g, wt, all.View(0, rows * g.OutPixels, features), columns);
                backend.ConvolveTransposed(y, g, wt, all.View(outputs, rows, g.InFeatures), columns);
                backend.ConvolutionWeightGradient(y, x, g, set, 0f, columns);
                backend.ConvolutionWeightGradient(y, x, g, added, 1f, columns);
                return all.All;
            }
        }
    }

    [Fact]
    public void ConvolutionHelpersDropoutAndEmbeddingsMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();

        // The DCGAN discriminator's first convolution and a strided odd-size one, "same" padding.
        foreach (var g in new[] { new ConvGeometry(1, 28, 28, 14, 14, 5, 2, 1, 1), new ConvGeometry(3, 7, 6, 4, 3, 3, 2, 1, 1), new ConvGeometry(64, 14, 14, 7, 7, 5, 2, 1, 1) })
        {
            const int images = 3;
            var input = Gpu.Random(images * g.InFeatures, 8);
            var columns = Gpu.Random(images * g.OutPixels * g.Columns, 9);
            Gpu.Close(Im2Col(cpu), Im2Col(gpu), 0, $"Im2Col {g}");
            Gpu.Close(Col2Im(cpu), Col2Im(gpu), 1e-6, $"Col2Im {g}");

            Tensor Im2Col(Backend backend)
            {
                var c = backend.Allocate((long)images * g.OutPixels * g.Columns).View(0, images * g.OutPixels, g.Columns);
                backend.Im2Col(Gpu.Tensor(backend, input, images, g.InFeatures), g, c);
                return c;
            }

            Tensor Col2Im(Backend backend)
            {
                var x = backend.Allocate((long)images * g.InFeatures).View(0, images, g.InFeatures);
                backend.Col2Im(Gpu.Tensor(backend, columns, images * g.OutPixels, g.Columns), g, x);
                return x;
            }
        }

        var values = Gpu.Random(5 * 1001, 3);
        Gpu.Close(Dropout(cpu), Dropout(gpu), 0, "Dropout forward and backward");

        Tensor Dropout(Backend backend)
        {
            var all = backend.Allocate(2 * 5 * 1001);
            var x = Gpu.Tensor(backend, values, 5, 1001);
            using var counter = backend.CreateCounter(3);
            backend.Dropout(x, all.View(0, 5, 1001), 0.3f, 4, 5, counter.Times(4, 1));
            backend.DropoutBackward(x, all.View(5 * 1001, 5, 1001), 0.3f, 4, 5, 13);
            return all.All;
        }

        // Condition on 4 pixels of 2 channels with a 3-wide embedding of 5 classes.
        const int rows = 6, pixels = 4, channels = 2, e = 3, classes = 5;
        var xs = Gpu.Random(rows * pixels * channels, 4);
        var table = Gpu.Random(classes * e, 5);
        var dy = Gpu.Random(rows * pixels * (channels + e), 6);
        var labels = new float[] { 0, 4, 2, 2, 1, 4 };
        Gpu.Close(Embedding(cpu), Embedding(gpu), 1e-6, "ConcatEmbedding and EmbeddingBackward");

        Tensor Embedding(Backend backend)
        {
            int y = rows * pixels * (channels + e), dx = rows * pixels * channels;
            var all = backend.Allocate(y + dx + classes * e + dx);
            var l = Gpu.Tensor(backend, labels, rows, 1);
            backend.ConcatEmbedding(Gpu.Tensor(backend, xs, rows, pixels * channels), l, Gpu.Tensor(backend, table, classes, e), all.View(0, rows, pixels * (channels + e)), pixels);
            var g = Gpu.Tensor(backend, dy, rows, pixels * (channels + e));
            var tg = all.View(y + dx, classes, e);
            backend.Fill(tg, 0.5f);
            backend.EmbeddingBackward(g, l, tg, all.View(y, rows, pixels * channels), pixels, accumulate: true);
            backend.EmbeddingBackward(g, l, default, all.View(y + dx + classes * e, rows, pixels * channels), pixels, accumulate: false);
            return all.All;
        }
    }

    [Fact]
    public void BatchNormKernelsMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        foreach (var (rows, cols) in new[] { (256, 12544), (12544, 64), (5, 3), (1000, 37) })
        {
            var x = Gpu.Random(rows * cols, 1, 2f);
            var dy = Gpu.Random(rows * cols, 2);
            var running = Gpu.Random(2 * cols, 3).Select(v => Math.Abs(v) + 0.5f).ToArray();
            var gamma = Gpu.Random(2 * cols, 4);
            Gpu.Close(Run(cpu, true), Run(gpu, true), 1e-5, $"BatchNorm ({rows}, {cols}) training");
            // The bias-gradient sums in the buffer add 8 row groups on the GPU, rows in order on the CPU.
            Gpu.Close(Run(cpu, false), Run(gpu, false), 1e-5, $"BatchNorm ({rows}, {cols}) evaluation");

            Tensor Run(Backend backend, bool training)
            {
                var all = backend.Allocate(6L * cols + (long)rows * cols);
                var saved = all.View(0, 1, 4 * cols);
                var stats = all.View(4L * cols, 1, 2 * cols);
                backend.Upload(running, stats);
                var xt = Gpu.Tensor(backend, x, rows, cols);
                backend.BatchNormStatistics(xt, saved, stats, 0.1f, 1e-3f, training);

                // Sums the backward reduction would save, then the input gradient from them.
                backend.BiasGradient(Gpu.Tensor(backend, dy, rows, cols), all.View(2L * cols, 1, cols), accumulate: false);
                backend.Fill(all.View(3L * cols, 1, cols), 0.25f);
                backend.BatchNormInputGradient(Gpu.Tensor(backend, dy, rows, cols), xt, saved, Gpu.Tensor(backend, gamma, 2, cols), all.View(6L * cols, rows, cols));
                return all.All;
            }
        }
    }

    [Fact]
    public void CountersMoveInStreamOrderAndReportTheirHostValue()
    {
        using var gpu = Gpu.Require();
        using var counter = gpu.CreateCounter(5);
        var viaCounter = gpu.Allocate(3 * 8);
        var viaConstant = gpu.Allocate(3 * 8);
        gpu.RandomNormal(viaCounter.View(0, 1, 8), 1, 1, counter);
        gpu.AddToCounter(counter, 3);
        gpu.RandomNormal(viaCounter.View(8, 1, 8), 1, 1, counter.Times(2, 1));
        gpu.SetCounter(counter, 40);
        gpu.RandomNormal(viaCounter.View(16, 1, 8), 1, 1, counter);
        Assert.Equal(40UL, counter.Value);

        gpu.RandomNormal(viaConstant.View(0, 1, 8), 1, 1, 5);
        gpu.RandomNormal(viaConstant.View(8, 1, 8), 1, 1, 17);
        gpu.RandomNormal(viaConstant.View(16, 1, 8), 1, 1, 40);
        Assert.Equal(Gpu.Host(viaConstant.All), Gpu.Host(viaCounter.All));
        Assert.NotEqual(Gpu.Host(viaConstant.View(0, 1, 8)), Gpu.Host(viaConstant.View(8, 1, 8)));
    }

    [Fact]
    public void CapturedWorkReplaysWithTheCountersCurrentValues()
    {
        using var gpu = Gpu.Require();
        using var step = gpu.CreateCounter(0);
        var noise = gpu.Allocate(64).All;
        var sum = gpu.Allocate(64).All;

        // cuBLAS sets itself up on its first call, which must not happen inside a capture (the trainer
        // likewise runs a step directly before capturing it).
        gpu.Gemm(noise.Reshape(8, 8), false, noise.Reshape(8, 8), true, gpu.Allocate(64).View(0, 8, 8));
        gpu.Synchronize();
        using var graph = gpu.Capture(() =>
        {
            gpu.AddToCounter(step, 1);
            gpu.RandomNormal(noise, 9, 9, step.Times(16));
            gpu.Gemm(noise.Reshape(8, 8), false, noise.Reshape(8, 8), true, sum.Reshape(8, 8), beta: 1f);
        });
        Assert.Equal(0UL, step.Value);

        for (int i = 0; i < 5; i++)
        {
            graph.Launch();
        }

        Assert.Equal(5UL, step.Value);

        // The same five steps run directly on the CPU.
        using var cpu = Gpu.Cpu();
        using var cpuStep = cpu.CreateCounter(0);
        var n = cpu.Allocate(64).All;
        var s = cpu.Allocate(64).All;
        for (int i = 0; i < 5; i++)
        {
            cpu.AddToCounter(cpuStep, 1);
            cpu.RandomNormal(n, 9, 9, cpuStep.Times(16));
            cpu.Gemm(n.Reshape(8, 8), false, n.Reshape(8, 8), true, s.Reshape(8, 8), beta: 1f);
        }

        Gpu.Close(s, sum, 1e-5, "five replays against five CPU steps");
        Gpu.Close(n, noise, 1e-6, "the last replay's noise");
    }

    [Fact]
    public void AutoChoosesTheGpu()
    {
        Gpu.Require().Dispose();
        using var backend = Backend.Auto();
        Assert.IsType<CudaBackend>(backend);
        Assert.Contains("CUDA", backend.Description);
    }
}
