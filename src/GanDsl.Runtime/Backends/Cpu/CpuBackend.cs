using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GanDsl.Randomness;

namespace GanDsl.Backends.Cpu;

/// <summary>
/// The CPU backend: a packed SIMD GEMM parallel over cores, the generated C# kernels, and vector
/// loops for the rest. Allocates nothing per training step.
/// </summary>
internal sealed unsafe partial class CpuBackend : Backend
{
    // Below this many elements a kernel runs on the calling thread: dispatch would cost more than it saves.
    private const int ParallelElementThreshold = 16 * 1024;

    private static readonly float[] s_byteToSigned = CreateByteTable();

    private readonly WorkerPool _pool;
    private readonly bool _ownsPool;
    private readonly CpuGemm _gemm;
    private readonly DirectConvolution _direct;
    private readonly NoiseJob _noiseJob = new();
    private readonly KernelJob _kernelJob = new();
    private readonly AdamJob _adamJob = new();
    private readonly RmsPropJob _rmsPropJob = new();
    private readonly ConvolutionJob _convolutionJob = new();
    private readonly DropoutJob _dropoutJob = new();
    private readonly BatchNormStatisticsJob _batchNormStatisticsJob = new();
    private readonly InstanceNormJob _instanceNormJob = new();
    private readonly UpsampleJob _upsampleJob = new();
    private readonly PReluJob _preluJob = new();
    private readonly BatchNormGradientJob _batchNormGradientJob = new();
    private readonly LossJob _lossJob = new();

    /// <summary>A CPU backend on the shared worker pool (all cores, or GANDSL_CPU_THREADS).</summary>
    public CpuBackend()
        : this(WorkerPool.Shared, ownsPool: false)
    {
    }

    /// <summary>A CPU backend with its own pool of <paramref name="threads"/> threads.</summary>
    public CpuBackend(int threads)
        : this(new WorkerPool(threads), ownsPool: true)
    {
    }

    /// <summary>A CPU backend with its own pool; <paramref name="allowAvx512"/> false keeps to the 256-bit kernels (for tests: the bits are the same).</summary>
    internal CpuBackend(int threads, bool allowAvx512)
        : this(new WorkerPool(threads), ownsPool: true, allowAvx512)
    {
    }

    private CpuBackend(WorkerPool pool, bool ownsPool, bool allowAvx512 = true)
    {
        _pool = pool;
        _ownsPool = ownsPool;
        _gemm = new CpuGemm(pool, forcePortable: false, allowAvx512);
        _direct = new DirectConvolution(pool, allowAvx512);
    }

    /// <inheritdoc />
    public override string Name => "cpu";

    /// <inheritdoc />
    public override bool ConvolutionNeedsColumns => false;

    /// <summary>Threads the backend runs on.</summary>
    public int Threads => _pool.ThreadCount;

    /// <inheritdoc />
    public override string Description =>
        $"CPU: {Threads} thread{(Threads == 1 ? "" : "s")}, {(Fma.IsSupported && Avx2.IsSupported ? (Avx512F.IsSupported ? "AVX-512+FMA" : "AVX2+FMA") : Vector256.IsHardwareAccelerated ? "256-bit SIMD" : "portable SIMD")}";

    /// <inheritdoc />
    public override DeviceBuffer Allocate(long length) => new CpuBuffer(this, length);

    /// <summary>The memory the runtime may still use: the machine's (or the container's) limit less what the process holds.</summary>
    public override long AvailableMemoryBytes
    {
        get
        {
            var info = GC.GetGCMemoryInfo();
            return Math.Max(0, info.TotalAvailableMemoryBytes - GC.GetTotalMemory(forceFullCollection: false));
        }
    }

    /// <summary>A buffer is one .NET array.</summary>
    public override long MaxBufferLength => System.Array.MaxLength;

    /// <inheritdoc />
    protected override void UploadCore(ReadOnlySpan<float> source, Tensor destination) => source.CopyTo(destination.Span);

    /// <inheritdoc />
    protected override void DownloadCore(Tensor source, Span<float> destination) => source.Span.CopyTo(destination);

    /// <inheritdoc />
    protected override void FillCore(Tensor tensor, float value) => tensor.Span.Fill(value);

    /// <inheritdoc />
    protected override void CopyCore(Tensor source, Tensor destination) => source.Span.CopyTo(destination.Span);

    /// <inheritdoc />
    protected override void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float beta)
    {
        int m = c.Rows, n = c.Cols, k = transposeA ? a.Rows : a.Cols;
        _gemm.Multiply(transposeA, transposeB, m, n, k, 1f, Pointer(a), a.Cols, Pointer(b), b.Cols, beta, Pointer(c), c.Cols);
    }

    /// <inheritdoc />
    protected override void LaunchCore(FusedKernel kernel, in KernelArgs args)
    {
        int items = kernel.WorkItems(args.Rows);
        if ((long)args.Rows * kernel.Columns < ParallelElementThreshold || _pool.ThreadCount == 1)
        {
            kernel.Cpu(args, 0, items);
            return;
        }

        _kernelJob.Kernel = kernel;
        _kernelJob.Args = args;
        _pool.For(items, _kernelJob);
        _kernelJob.Kernel = null;
        _kernelJob.Args = default;
    }

    /// <inheritdoc />
    protected override void MovingAverageCore(Tensor values, Tensor average, float decay, CounterValue update)
    {
        // a * d + x * e, each product rounded, as the CUDA kernel writes it.
        float d = MovingAverageWeight(decay, update.Resolve()), e = 1f - d;
        var x = values.Span;
        var a = average.Span;
        var dv = Vector256.Create(d);
        var ev = Vector256.Create(e);
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            ((Vector256.Create(a.Slice(i)) * dv) + (Vector256.Create(x.Slice(i)) * ev)).CopyTo(a.Slice(i));
        }

        for (; i < x.Length; i++)
        {
            a[i] = (a[i] * d) + (x[i] * e);
        }
    }

    /// <inheritdoc />
    protected override void AddCore(Tensor source, Tensor destination, float scale)
    {
        var x = source.Span;
        var y = destination.Span;
        var a = Vector256.Create(scale);
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            (Vector256.Create(y.Slice(i)) + a * Vector256.Create(x.Slice(i))).CopyTo(y.Slice(i));
        }

        for (; i < x.Length; i++)
        {
            y[i] += scale * x[i];
        }
    }

    /// <inheritdoc />
    protected override void AddBiasCore(Tensor y, Tensor bias)
    {
        var b = bias.Span;
        var all = y.Span;
        for (int r = 0; r < y.Rows; r++)
        {
            var row = all.Slice(r * y.Cols, y.Cols);
            int c = 0;
            for (; c <= row.Length - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                (Vector256.Create(row.Slice(c)) + Vector256.Create(b.Slice(c))).CopyTo(row.Slice(c));
            }

            for (; c < row.Length; c++)
            {
                row[c] += b[c];
            }
        }
    }

    /// <inheritdoc />
    protected override void BiasGradientCore(Tensor dz, Tensor db, bool accumulate)
    {
        // Column sums in row order, like the generated backward kernels, so fused and unfused agree bitwise.
        var g = dz.Span;
        var sums = db.Span;
        int cols = dz.Cols;
        int c = 0;
        for (; c <= cols - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (int r = 0; r < dz.Rows; r++)
            {
                acc += Vector256.Create(g.Slice(r * cols + c));
            }

            if (accumulate)
            {
                acc += Vector256.Create(sums.Slice(c));
            }

            acc.CopyTo(sums.Slice(c));
        }

        for (; c < cols; c++)
        {
            float acc = 0f;
            for (int r = 0; r < dz.Rows; r++)
            {
                acc += g[r * cols + c];
            }

            sums[c] = accumulate ? sums[c] + acc : acc;
        }
    }

    /// <inheritdoc />
    protected override void LossCore(LossKind kind, in LossOperands operands, in LossSegment first, in LossSegment second)
    {
        LossSegmentCore(kind, operands, first, 0);
        if (second.Rows > 0)
        {
            LossSegmentCore(kind, operands, second, first.Rows);
        }
    }

    // One segment: the generated loop over its elements (in chunks over the workers when large, each chunk's sums
    // kept apart and added in chunk order, so the result does not depend on the thread count), then its outputs.
    private void LossSegmentCore(LossKind kind, in LossOperands o, in LossSegment segment, int start)
    {
        int rows = segment.Rows;
        static Tensor Rows(Tensor t, int start, int rows) => t.IsEmpty ? t : t.Slice(start, rows);
        float scale = segment.GradientScale;
        if (!segment.Weight.IsEmpty)
        {
            scale *= segment.Weight.Span[0];
        }

        var args = new LossKernelArgs(Rows(o.Prediction, start, rows), Rows(o.Second, start, rows), Rows(o.Target, start, rows), segment.Target,
            Rows(o.PredictionGradient, start, rows), Rows(o.SecondGradient, start, rows), Rows(o.TargetGradient, start, rows), scale, o.Accumulate);
        int n = args.Prediction.Length;
        double values, scores;
        if (n < ParallelElementThreshold)
        {
            LossKernels.Run(kind, args, 0, n, out values, out scores);
        }
        else
        {
            (values, scores) = _lossJob.Run(_pool, kind, args, n);
        }

        if (!segment.Sum.IsEmpty)
        {
            segment.Sum.Span[0] += (float)(segment.ValueScale * values);
        }

        if (!segment.Score.IsEmpty && n > 0)
        {
            segment.Score.Span[0] += (float)(scores / n);
        }

        if (!segment.Value.IsEmpty)
        {
            segment.Value.Span[0] = (float)(segment.ValueScale * values);
        }
    }

    /// <inheritdoc />
    protected override void InterpolateCore(Tensor real, Tensor fake, Tensor output, ulong seed, ulong stream, CounterValue counter)
    {
        Span<float> weights = real.Rows <= 1024 ? stackalloc float[real.Rows] : new float[real.Rows];
        Philox.FillUniform(weights, 0f, 1f, seed, stream, counter.Resolve());
        var r = real.Span;
        var f = fake.Span;
        var o = output.Span;
        int width = real.Cols;
        for (int row = 0; row < real.Rows; row++)
        {
            float e = weights[row];
            for (int i = row * width; i < (row + 1) * width; i++)
            {
                o[i] = e * r[i] + (1f - e) * f[i];
            }
        }
    }

    /// <inheritdoc />
    protected override void GradientPenaltyCore(Tensor g, float weight, Tensor penaltyGradient, Tensor stats)
    {
        var values = g.Span;
        var target = penaltyGradient.Span;
        int width = g.Cols;
        double penalty = 0;
        for (int row = 0; row < g.Rows; row++)
        {
            var gr = values.Slice(row * width, width);
            double norm = 0;
            foreach (float v in gr)
            {
                norm += (double)v * v;
            }

            norm = Math.Sqrt(norm);
            penalty += (norm - 1) * (norm - 1);

            // d/dg (|g| - 1)^2 = 2 (|g| - 1) g / |g|; at g = 0 the norm has no gradient, and 0 is the subgradient taken.
            float factor = norm > 0 ? (float)(2 * weight * (norm - 1) / norm) : 0f;
            var ur = target.Slice(row * width, width);
            for (int i = 0; i < width; i++)
            {
                ur[i] = factor * gr[i];
            }
        }

        stats.Span[0] += (float)(weight * penalty);
    }

    /// <inheritdoc />
    protected override void AdamCore(Tensor parameters, Tensor gradients, Tensor m, Tensor v, AdamSettings settings, CounterValue step, Tensor nonFinite, Tensor learningRateScale)
    {
        _adamJob.Set(parameters, gradients, m, v, settings, (long)step.Resolve(), learningRateScale.IsEmpty ? null : learningRateScale.Span[0]);
        RunUpdate(_adamJob, parameters.Length, nonFinite);
    }

    /// <inheritdoc />
    protected override void RmsPropCore(Tensor parameters, Tensor gradients, Tensor squareAverage, RmsPropSettings settings, Tensor nonFinite, Tensor learningRateScale)
    {
        _rmsPropJob.Set(parameters, gradients, squareAverage, settings, learningRateScale.IsEmpty ? null : learningRateScale.Span[0]);
        RunUpdate(_rmsPropJob, parameters.Length, nonFinite);
    }

    /// <inheritdoc />
    protected override void ClampCore(Tensor tensor, float limit)
    {
        var values = tensor.Span;
        var high = Vector256.Create(limit);
        var low = Vector256.Create(-limit);
        int i = 0;
        for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            Vector256.Min(Vector256.Max(Vector256.Create(values.Slice(i)), low), high).CopyTo(values.Slice(i));
        }

        for (; i < values.Length; i++)
        {
            values[i] = Math.Clamp(values[i], -limit, limit);
        }
    }

    /// <inheritdoc />
    protected override void ImagePoolCore(Tensor images, Tensor pool, Tensor draws, Tensor filled)
    {
        // The rows in order, as every GPU thread walks them for its columns.
        var x = images.Span;
        var p = pool.Span;
        var u = draws.Span;
        int width = images.Cols, capacity = pool.Rows;
        int n = (int)Math.Clamp(filled.Span[0], 0f, capacity);
        for (int r = 0; r < images.Rows; r++)
        {
            var row = x.Slice(r * width, width);
            if (n < capacity)
            {
                row.CopyTo(p.Slice(n++ * width, width));
            }
            else if (u[2 * r] > 0.5f)
            {
                var old = p.Slice(Math.Min((int)(u[(2 * r) + 1] * capacity), capacity - 1) * width, width);
                for (int j = 0; j < width; j++)
                {
                    (row[j], old[j]) = (old[j], row[j]);
                }
            }
        }

        filled.Span[0] = n;
    }

    /// <inheritdoc />
    protected override void ReparameterizeCore(Tensor first, Tensor logVariance, Tensor noise, Tensor z, Tensor dMean, Tensor dLogVariance, bool accumulate)
    {
        // A code is a few values a row: one thread, in the element order a GPU thread computes them.
        var x = first.Span;
        var v = logVariance.Span;
        var e = noise.Span;
        if (!z.IsEmpty)
        {
            var y = z.Span;
            for (int i = 0; i < x.Length; i++)
            {
                y[i] = x[i] + (MathF.Exp(0.5f * v[i]) * e[i]);
            }

            return;
        }

        var dm = dMean.Span;
        var dv = dLogVariance.Span;
        for (int i = 0; i < x.Length; i++)
        {
            float g = x[i], term = 0.5f * g * e[i] * MathF.Exp(0.5f * v[i]);
            dm[i] = accumulate ? dm[i] + g : g;
            dv[i] = accumulate ? dv[i] + term : term;
        }
    }

    // Runs items [0, count) of a job on the calling thread when the work is under ParallelElementThreshold elements,
    // else split among the workers; each job's results do not depend on the split.
    private void RunParallel(IParallelBody job, int count, long elements)
    {
        if (elements < ParallelElementThreshold)
        {
            job.Execute(0, count, 0);
        }
        else
        {
            _pool.For(count, job);
        }
    }

    private void RunUpdate(UpdateJob job, int length, Tensor nonFinite)
    {
        int blocks = (length + UpdateJob.Block - 1) / UpdateJob.Block;
        RunParallel(job, blocks, length);

        if (!nonFinite.IsEmpty && job.SawNonFinite)
        {
            nonFinite.Span[0] = 1f;
        }
    }

    /// <inheritdoc />
    protected override void RandomNormalCore(Tensor tensor, ulong seed, ulong stream, CounterValue counter)
    {
        if (tensor.Length < 4 * NoiseJob.Chunk || _pool.ThreadCount == 1)
        {
            Philox.FillNormal(tensor.Span, seed, stream, counter.Resolve());
            return;
        }

        // In chunks over the workers: each value depends only on its index, so the split changes nothing.
        _noiseJob.Target = tensor;
        (_noiseJob.Seed, _noiseJob.Stream, _noiseJob.Counter) = (seed, stream, counter.Resolve());
        _pool.For((tensor.Length + NoiseJob.Chunk - 1) / NoiseJob.Chunk, _noiseJob);
        _noiseJob.Target = default;
    }

    /// <inheritdoc />
    protected override void RandomUniformCore(Tensor tensor, float low, float high, ulong seed, ulong stream, CounterValue counter) =>
        Philox.FillUniform(tensor.Span, low, high, seed, stream, counter.Resolve());

    /// <inheritdoc />
    protected override ImageSet CreateImageSetCore(ReadOnlyMemory<byte> pixels, int count, int pixelsPerImage, ReadOnlyMemory<byte> labels) =>
        new CpuImageSet(pixels, count, pixelsPerImage, labels);

    /// <inheritdoc />
    protected override void GatherLabelsCore(ImageSet images, CounterValue at, Tensor destination)
    {
        int position = checked((int)at.Resolve());
        var set = images as CpuImageSet
            ?? throw new ArgumentException("The image set belongs to another backend.", nameof(images));
        var labels = set.Labels.Span;
        var values = destination.Span;
        for (int r = 0; r < destination.Rows; r++)
        {
            values[r] = labels[set.Order[position + r]];
        }
    }

    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(Tensor logits, Tensor labels, Tensor gradient, in LossSegment segment, bool accumulate)
    {
        float gradientScale = segment.GradientScale;
        if (!segment.Weight.IsEmpty)
        {
            gradientScale *= segment.Weight.Span[0];
        }

        // Every label checked before any row changes; then the generated rows (LossKernels, from SoftmaxMath).
        int classes = logits.Cols;
        var y = labels.Span;
        for (int r = 0; r < y.Length; r++)
        {
            if (!(y[r] >= 0 && y[r] < classes && y[r] == MathF.Floor(y[r])))
            {
                throw new ArgumentOutOfRangeException(nameof(labels), $"Label {y[r]} of row {r} is not a class in 0..{classes - 1}.");
            }
        }

        var args = new LossKernelArgs(logits, default, labels, 0f, gradient, default, default, gradientScale, accumulate);
        LossKernels.SoftmaxCrossEntropy(args, 0, logits.Rows, out double lossSum, out int correct);
        if (!segment.Sum.IsEmpty)
        {
            segment.Sum.Span[0] += (float)(segment.ValueScale * lossSum);
        }

        if (!segment.Score.IsEmpty && logits.Rows > 0)
        {
            segment.Score.Span[0] += (float)correct / logits.Rows;
        }

        if (!segment.Value.IsEmpty)
        {
            segment.Value.Span[0] = (float)(segment.ValueScale * lossSum);
        }
    }

    /// <inheritdoc />
    protected override void GatherImagesCore(ImageSet images, CounterValue at, Tensor destination, PixelScale scale)
    {
        int position = checked((int)at.Resolve());
        var set = images as CpuImageSet
            ?? throw new ArgumentException("The image set belongs to another backend.", nameof(images));
        var pixels = set.Pixels.Span;
        var rows = destination.Span;
        int width = set.PixelsPerImage;
        for (int r = 0; r < destination.Rows; r++)
        {
            var source = pixels.Slice(set.Order[position + r] * width, width);
            var row = rows.Slice(r * width, width);
            int i = 0;
            if (scale == PixelScale.ZeroToOne)
            {
                for (; i < width; i++)
                {
                    row[i] = source[i] / 255f;
                }

                continue;
            }

            if (Avx2.IsSupported)
            {
                // Eight bytes widened to floats at a time, then the table's own b / 127.5 - 1: the same bits.
                fixed (byte* from = source)
                {
                    for (; i <= width - 8; i += 8)
                    {
                        var value = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(from + i));
                        (value / Vector256.Create(127.5f) - Vector256.Create(1f)).StoreUnsafe(ref row[i]);
                    }
                }
            }

            for (; i < width; i++)
            {
                row[i] = s_byteToSigned[source[i]];
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _direct.Dispose();
        }

        if (disposing && _ownsPool)
        {
            _pool.Dispose();
        }
    }

    private static float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref t.Ref);

    private static float[] CreateByteTable()
    {
        // b / 127.5 - 1 maps 0..255 onto [-1, 1]; the GPU gather computes the same division.
        var table = new float[256];
        for (int b = 0; b < 256; b++)
        {
            table[b] = b / 127.5f - 1f;
        }

        return table;
    }

    /// <summary>Normal noise over chunks of a tensor, each drawn from its own place in the Philox stream.</summary>
    private sealed class NoiseJob : IParallelBody
    {
        /// <summary>Values per work item: a multiple of the 32 that <see cref="Philox.FillNormal"/> draws at a time.</summary>
        public const int Chunk = 1024;

        public Tensor Target;
        public ulong Seed, Stream, Counter;

        public void Execute(int start, int end, int worker)
        {
            int from = start * Chunk, to = (int)Math.Min((long)end * Chunk, Target.Length);
            Philox.FillNormal(Target.Span.Slice(from, to - from), Seed, Stream, Counter + (ulong)(from / 4));
        }
    }

    /// <summary>A loss over chunks of its elements; each chunk's sums kept apart, then added in chunk order.</summary>
    private sealed class LossJob : IParallelBody
    {
        public const int Chunk = 4096;

        private double[] _values = new double[16];
        private double[] _scores = new double[16];
        private LossKind _kind;
        private LossKernelArgs _args;
        private int _length;

        public (double Values, double Scores) Run(WorkerPool pool, LossKind kind, in LossKernelArgs args, int length)
        {
            int chunks = (length + Chunk - 1) / Chunk;
            if (_values.Length < chunks)
            {
                // Grows once to the largest loss seen; a warm step allocates nothing.
                _values = new double[chunks];
                _scores = new double[chunks];
            }

            (_kind, _args, _length) = (kind, args, length);
            pool.For(chunks, this);
            _args = default;
            double values = 0, scores = 0;
            for (int c = 0; c < chunks; c++)
            {
                values += _values[c];
                scores += _scores[c];
            }

            return (values, scores);
        }

        public void Execute(int start, int end, int worker)
        {
            for (int c = start; c < end; c++)
            {
                LossKernels.Run(_kind, _args, c * Chunk, Math.Min((c + 1) * Chunk, _length), out _values[c], out _scores[c]);
            }
        }
    }

    private sealed class KernelJob : IParallelBody
    {
        public FusedKernel? Kernel;
        public KernelArgs Args;

        public void Execute(int start, int end, int worker) => Kernel!.Cpu(Args, start, end);
    }

    /// <summary>
    /// An optimizer update over blocks of a parameter buffer, flagging any second moment or parameter it writes that is NaN or
    /// infinite: a non-finite gradient makes its second moment so, and a finite gradient too large to square (a learning rate
    /// far too high) does too, which would otherwise freeze the parameter silently.
    /// </summary>
    private abstract class UpdateJob : IParallelBody
    {
        public const int Block = 4096;

        private volatile bool _sawNonFinite;

        /// <summary>Whether the last run wrote a NaN or infinite moment or parameter.</summary>
        public bool SawNonFinite => _sawNonFinite;

        protected int Length { get; set; }

        public void Execute(int start, int end, int worker)
        {
            int from = start * Block, to = Math.Min(end * Block, Length);
            if (Update(from, to - from))
            {
                _sawNonFinite = true;
            }
        }

        protected void Reset() => _sawNonFinite = false;

        /// <summary>Updates elements [from, from + count); true when a moment or parameter written there is not finite.</summary>
        protected abstract bool Update(int from, int count);

        // x - x is 0 for finite x and NaN otherwise: one subtraction and compare per vector flags bad values.
        protected static Vector256<float> NonFinite(Vector256<float> g) => ~Vector256.Equals(g - g, Vector256<float>.Zero);
    }

    private sealed class AdamJob : UpdateJob
    {
        private Tensor _p, _g, _m, _v;
        private float _b1, _b1c, _b2, _b2c, _eps, _keep, _stepSize, _bc2Sqrt;

        public void Set(Tensor p, Tensor g, Tensor m, Tensor v, AdamSettings s, long step, float? learningRateScale)
        {
            // A schedule's factor multiplies the rate in double, as the GPU kernel does; without one the rate is used as is.
            double lr = learningRateScale is float factor ? s.LearningRate * factor : s.LearningRate;
            (_p, _g, _m, _v) = (p, g, m, v);
            Length = p.Length;
            Reset();

            // Coefficients formed in double, then rounded once, as PyTorch does with its Python-float scalars.
            _b1 = (float)s.Beta1;
            _b1c = (float)(1 - s.Beta1);
            _b2 = (float)s.Beta2;
            _b2c = (float)(1 - s.Beta2);
            _eps = (float)s.Epsilon;
            _keep = (float)(1 - lr * s.WeightDecay);

            // PyTorch: p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
            _stepSize = (float)(lr / (1 - Math.Pow(s.Beta1, step)));
            _bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(s.Beta2, step));
        }

        protected override bool Update(int from, int count)
        {
            var p = _p.Span.Slice(from, count);
            var g = _g.Span.Slice(from, count);
            var m = _m.Span.Slice(from, count);
            var v = _v.Span.Slice(from, count);
            var b1 = Vector256.Create(_b1);
            var b1c = Vector256.Create(_b1c);
            var b2 = Vector256.Create(_b2);
            var b2c = Vector256.Create(_b2c);
            var eps = Vector256.Create(_eps);
            var stepSize = Vector256.Create(_stepSize);
            var bc2 = Vector256.Create(_bc2Sqrt);
            var keep = Vector256.Create(_keep);
            var nonFinite = Vector256<float>.Zero;
            int i = 0;
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.Create(g.Slice(i));
                var mi = b1 * Vector256.Create(m.Slice(i)) + b1c * gi;
                var vi = b2 * Vector256.Create(v.Slice(i)) + b2c * gi * gi;
                var denom = Vector256.Sqrt(vi) / bc2 + eps;
                var pi = Vector256.Create(p.Slice(i)) * keep - stepSize * mi / denom;
                nonFinite |= NonFinite(vi) | NonFinite(pi);
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
                pi.CopyTo(p.Slice(i));
            }

            bool bad = nonFinite != Vector256<float>.Zero;
            for (; i < count; i++)
            {
                float gi = g[i];
                float mi = _b1 * m[i] + _b1c * gi;
                float vi = _b2 * v[i] + _b2c * gi * gi;
                m[i] = mi;
                v[i] = vi;
                p[i] = p[i] * _keep - _stepSize * mi / (MathF.Sqrt(vi) / _bc2Sqrt + _eps);
                bad |= !float.IsFinite(vi) || !float.IsFinite(p[i]);
            }

            return bad;
        }
    }

    private sealed class RmsPropJob : UpdateJob
    {
        private Tensor _p, _g, _v;
        private float _alpha, _alphaC, _lr, _eps;

        public void Set(Tensor p, Tensor g, Tensor v, RmsPropSettings s, float? learningRateScale)
        {
            (_p, _g, _v) = (p, g, v);
            Length = p.Length;
            Reset();
            _alpha = (float)s.Alpha;
            _alphaC = (float)(1 - s.Alpha);
            _lr = learningRateScale is float factor ? (float)(s.LearningRate * factor) : (float)s.LearningRate;
            _eps = (float)s.Epsilon;
        }

        protected override bool Update(int from, int count)
        {
            var p = _p.Span.Slice(from, count);
            var g = _g.Span.Slice(from, count);
            var v = _v.Span.Slice(from, count);
            var alpha = Vector256.Create(_alpha);
            var alphaC = Vector256.Create(_alphaC);
            var lr = Vector256.Create(_lr);
            var eps = Vector256.Create(_eps);
            var nonFinite = Vector256<float>.Zero;
            int i = 0;
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.Create(g.Slice(i));
                var vi = alpha * Vector256.Create(v.Slice(i)) + alphaC * gi * gi;
                var pi = Vector256.Create(p.Slice(i)) - lr * gi / (Vector256.Sqrt(vi) + eps);
                nonFinite |= NonFinite(vi) | NonFinite(pi);
                vi.CopyTo(v.Slice(i));
                pi.CopyTo(p.Slice(i));
            }

            bool bad = nonFinite != Vector256<float>.Zero;
            for (; i < count; i++)
            {
                float gi = g[i];
                float vi = _alpha * v[i] + _alphaC * gi * gi;
                v[i] = vi;
                p[i] -= _lr * gi / (MathF.Sqrt(vi) + _eps);
                bad |= !float.IsFinite(vi) || !float.IsFinite(p[i]);
            }

            return bad;
        }
    }
}
