using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using GanDsl.Backends;
using GanDsl.Cuda.Interop;

namespace GanDsl.Cuda;

/// <summary>
/// The NVIDIA GPU backend: device memory from the driver API, GEMMs on cuBLAS (exact fp32 unless
/// TF32 is asked for), the generated fused kernels and <see cref="RuntimeKernels"/> compiled by NVRTC
/// for the GPU's architecture, everything queued on one stream. Calls return before the GPU finishes;
/// <see cref="Backend.Download"/> waits. <see cref="Backend.Capture"/> records a step as a CUDA graph.
/// </summary>
internal sealed unsafe class CudaBackend : Backend
{
    private const uint Threads = 256;
    private const int WorkspaceBytes = 32 << 20;

    // Column sums run in row slices (see RuntimeKernels' slice_done): at most this many slices, one ticket per
    // 32-column tile, each left at 0 by the kernel that used it.
    private const int MaxSlices = 64;
    private const int Tickets = 1 << 16;

    [ThreadStatic]
    private static nint t_current;

    private readonly int _device;
    private readonly nint _context;
    private readonly nint _stream;
    private readonly nint _cublas;
    private readonly ulong _workspace;
    private readonly nint _side; // side branches (BeginBranch): a second stream with its own cuBLAS handle and workspace
    private readonly nint _cublasSide;
    private readonly ulong _workspaceSide;
    private readonly nint _fork, _join; // events: the side stream waits on _fork recorded in the main one, and back
    private nint _current; // where calls go: _stream, or _side inside a branch
    private nint _currentCublas;
    private bool _sideCaptured; // the side stream joined the capture now recording
    private readonly ulong _counters;
    private readonly ulong _tickets;
    private ulong _partials;
    private long _partialsLength;
    private readonly KernelCompiler _compiler;
    private readonly nint _runtimeModule;
    private readonly Dictionary<string, nint> _runtime = [];
    private readonly nint _lossModule;
    private readonly ConditionalWeakTable<ScalarProgram, StrongBox<nint>> _scalarPrograms = new(); // program -> its kernel, while the program lives
    private readonly Dictionary<string, nint> _scalarModules = []; // program source -> kernel
    private readonly List<nint> _scalarModuleHandles = [];
    private readonly nint[] _losses = new nint[Enum.GetValues<LossKind>().Length]; // by LossKind
    private readonly nint _softmax;
    private readonly Dictionary<KernelProgram, nint> _modules = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedKernel, nint> _functions = new(ReferenceEqualityComparer.Instance);
    private readonly uint _maxBlocks;
    private bool _disposed;

    private CudaBackend(CudaProbeResult probe, bool tf32, string? kernelCache, bool branches)
    {
        Probe = probe;
        Tf32 = tf32;
        Branches = branches;
        CudaDriver.Check(CudaDriver.cuDeviceGet(out _device, 0), "cuDeviceGet");
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(out _context, _device), "cuDevicePrimaryCtxRetain");
        try
        {
            MakeCurrent();
            CudaDriver.Check(CudaDriver.cuStreamCreate(out _stream, CudaDriver.StreamNonBlocking), "cuStreamCreate");
            Cublas.Check(Cublas.cublasCreate(out _cublas), "cublasCreate");
            Cublas.Check(Cublas.cublasSetStream(_cublas, _stream), "cublasSetStream");
            Cublas.Check(Cublas.cublasSetMathMode(_cublas, tf32 ? Cublas.Tf32TensorOpMath : Cublas.DefaultMath), "cublasSetMathMode");
            Cublas.Check(Cublas.cublasGetVersion(_cublas, out int cublasVersion), "cublasGetVersion");
            CublasVersion = cublasVersion;

            // cuBLAS gets its workspace up front, so a captured step never allocates.
            CudaDriver.Check(CudaDriver.cuMemAlloc(out _workspace, WorkspaceBytes), "cuMemAlloc");
            Cublas.Check(Cublas.cublasSetWorkspace(_cublas, _workspace, WorkspaceBytes), "cublasSetWorkspace");
            _current = _stream;
            _currentCublas = _cublas;
            if (branches)
            {
                // GEMMs on the two streams may run at once, so each handle has a workspace of its own; and a handle
                // is never moved between streams, since cublasSetStream puts back the default workspace pool, which
                // allocates (refused inside a capture).
                CudaDriver.Check(CudaDriver.cuStreamCreate(out _side, CudaDriver.StreamNonBlocking), "cuStreamCreate");
                Cublas.Check(Cublas.cublasCreate(out _cublasSide), "cublasCreate");
                Cublas.Check(Cublas.cublasSetStream(_cublasSide, _side), "cublasSetStream");
                Cublas.Check(Cublas.cublasSetMathMode(_cublasSide, tf32 ? Cublas.Tf32TensorOpMath : Cublas.DefaultMath), "cublasSetMathMode");
                CudaDriver.Check(CudaDriver.cuMemAlloc(out _workspaceSide, WorkspaceBytes), "cuMemAlloc");
                Cublas.Check(Cublas.cublasSetWorkspace(_cublasSide, _workspaceSide, WorkspaceBytes), "cublasSetWorkspace");
                CudaDriver.Check(CudaDriver.cuEventCreate(out _fork, CudaDriver.EventDisableTiming), "cuEventCreate");
                CudaDriver.Check(CudaDriver.cuEventCreate(out _join, CudaDriver.EventDisableTiming), "cuEventCreate");
            }

            CudaDriver.Check(CudaDriver.cuMemAlloc(out _counters, (nuint)(MaxCounters * sizeof(ulong))), "cuMemAlloc");
            CudaDriver.Check(CudaDriver.cuMemsetD32Async(_counters, 0, (nuint)(MaxCounters * 2), _stream), "cuMemsetD32Async");
            CudaDriver.Check(CudaDriver.cuMemAlloc(out _tickets, Tickets * sizeof(uint)), "cuMemAlloc");
            CudaDriver.Check(CudaDriver.cuMemsetD32Async(_tickets, 0, Tickets, _stream), "cuMemsetD32Async");

            _maxBlocks = (uint)Math.Max(1, probe.Multiprocessors) * 32;
            _compiler = KernelCompiler.Create(kernelCache);
            _runtimeModule = LoadModule(RuntimeKernels.Source, RuntimeKernels.ProgramName);
            foreach (string name in RuntimeKernels.Names)
            {
                CudaDriver.Check(CudaDriver.cuModuleGetFunction(out nint function, _runtimeModule, name), $"cuModuleGetFunction({name})");
                _runtime[name] = function;
            }

            _lossModule = LoadModule(LossKernels.CudaSource, LossKernels.ProgramName);
            foreach (var kind in Enum.GetValues<LossKind>())
            {
                string name = LossKernels.KernelName(kind);
                CudaDriver.Check(CudaDriver.cuModuleGetFunction(out _losses[(int)kind], _lossModule, name), $"cuModuleGetFunction({name})");
            }

            CudaDriver.Check(CudaDriver.cuModuleGetFunction(out _softmax, _lossModule, LossKernels.SoftmaxKernelName), $"cuModuleGetFunction({LossKernels.SoftmaxKernelName})");
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>
    /// The backend on the first GPU. Throws <see cref="CudaUnavailableException"/> (one sentence: no driver,
    /// no GPU, a library missing) when CUDA cannot be used here, <see cref="KernelCompileException"/> when
    /// NVRTC rejects the runtime kernels.
    /// </summary>
    /// <param name="tf32">Let cuBLAS use TF32 tensor cores (faster, about 3 decimal digits): off by default, for exact fp32.</param>
    /// <param name="kernelCache">Where compiled kernels are cached (default <see cref="KernelCompiler.DefaultCacheDirectory"/>).</param>
    /// <param name="branches">
    /// Run side branches (<see cref="Backend.BeginBranch"/>: weight-gradient GEMMs, the batch gather) on a second stream,
    /// so they overlap the main line; false keeps every call on one stream. Default: on, unless the environment
    /// variable <c>GANDSL_CUDA_BRANCHES</c> is <c>0</c>.
    /// </param>
    public static CudaBackend Create(bool tf32 = false, string? kernelCache = null, bool? branches = null) =>
        Create(CudaProbe.Run(), tf32, kernelCache, branches);

    /// <summary><see cref="Create(bool, string?, bool?)"/> on a machine already probed.</summary>
    internal static CudaBackend Create(CudaProbeResult probe, bool tf32 = false, string? kernelCache = null, bool? branches = null) =>
        probe.Usable
            ? new CudaBackend(probe, tf32, kernelCache, branches ?? Environment.GetEnvironmentVariable("GANDSL_CUDA_BRANCHES") != "0")
            : throw new CudaUnavailableException(probe.Reason.TrimEnd('.') + ".");

    /// <summary>What the probe found: the GPU, its capability and memory, the driver.</summary>
    public CudaProbeResult Probe { get; }

    /// <summary>Whether cuBLAS may use TF32.</summary>
    public bool Tf32 { get; }

    /// <summary>Whether side branches run on a second stream (see <see cref="Create(bool, string?, bool?)"/>).</summary>
    public bool Branches { get; }

    /// <summary>cuBLAS's version number (e.g. 130000).</summary>
    public int CublasVersion { get; }

    /// <inheritdoc />
    public override string Name => "cuda";

    /// <inheritdoc />
    public override string Description =>
        $"CUDA: {Probe.Describe()}, NVRTC {_compiler.Version}, cuBLAS {CublasVersion}, {(Tf32 ? "TF32 GEMMs" : "fp32 GEMMs (TF32 off)")}{(Branches ? "" : ", one stream")}";

    /// <inheritdoc />
    public override bool IsAsynchronous => true;

    /// <inheritdoc />
    public override bool SupportsCapture => true;

    /// <inheritdoc />
    public override DeviceBuffer Allocate(long length)
    {
        MakeCurrent();
        return new CudaBuffer(this, length);
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
        MakeCurrent();
        CudaDriver.Check(CudaDriver.cuStreamSynchronize(_stream), "cuStreamSynchronize");
    }

    /// <summary>The device address of <paramref name="tensor"/>'s first element (0 for an empty tensor).</summary>
    internal static ulong Address(Tensor tensor) =>
        tensor.IsEmpty ? 0 : ((CudaBuffer)tensor.Buffer).Pointer + (ulong)tensor.Offset * sizeof(float);

    /// <inheritdoc />
    protected override void UploadCore(ReadOnlySpan<float> source, Tensor destination)
    {
        if (source.IsEmpty)
        {
            return;
        }

        MakeCurrent();
        fixed (float* s = source)
        {
            // From pageable memory the call returns once the data is staged, so the span may go.
            CudaDriver.Check(CudaDriver.cuMemcpyHtoDAsync(Address(destination), s, (nuint)(source.Length * sizeof(float)), _stream), "cuMemcpyHtoDAsync");
        }
    }

    /// <inheritdoc />
    protected override void DownloadCore(Tensor source, Span<float> destination)
    {
        MakeCurrent();
        if (!destination.IsEmpty)
        {
            fixed (float* d = destination)
            {
                CudaDriver.Check(CudaDriver.cuMemcpyDtoHAsync(d, Address(source), (nuint)(destination.Length * sizeof(float)), _stream), "cuMemcpyDtoHAsync");
            }
        }

        CudaDriver.Check(CudaDriver.cuStreamSynchronize(_stream), "cuStreamSynchronize");
    }

    /// <inheritdoc />
    protected override void FillCore(Tensor tensor, float value)
    {
        if (tensor.Length > 0)
        {
            MakeCurrent();
            CudaDriver.Check(CudaDriver.cuMemsetD32Async(Address(tensor), BitConverter.SingleToUInt32Bits(value), (nuint)tensor.Length, _current), "cuMemsetD32Async");
        }
    }

    /// <inheritdoc />
    protected override void CopyCore(Tensor source, Tensor destination)
    {
        if (source.Length > 0)
        {
            MakeCurrent();
            CudaDriver.Check(CudaDriver.cuMemcpyDtoDAsync(Address(destination), Address(source), (nuint)(source.Length * sizeof(float)), _current), "cuMemcpyDtoDAsync");
        }
    }

    /// <inheritdoc />
    protected override void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float beta)
    {
        int m = c.Rows, n = c.Cols, k = transposeA ? a.Rows : a.Cols;
        if (m == 0 || n == 0)
        {
            return;
        }

        MakeCurrent();
        var call = CudaGemm.Map(a.Cols, transposeA, b.Cols, transposeB, m, n, k);
        float alpha = 1f;
        Cublas.Check(Cublas.cublasSgemm(_currentCublas,
            call.TransposeFirst ? Cublas.OpT : Cublas.OpN, call.TransposeSecond ? Cublas.OpT : Cublas.OpN,
            call.M, call.N, call.K, alpha, Address(b), call.LdFirst, Address(a), call.LdSecond, beta, Address(c), call.LdC), "cublasSgemm");
    }

    /// <inheritdoc />
    protected override void LaunchCore(FusedKernel kernel, in KernelArgs args)
    {
        nint function = Function(kernel);
        var p = default(KernelParams);
        p.Pointer(Address(args.T0));
        p.Pointer(Address(args.T1));
        p.Pointer(Address(args.T2));
        p.Pointer(Address(args.T3));
        p.Pointer(Address(args.T4));
        p.Int(args.Rows);
        p.Int(args.Flag);
        if (kernel.Partition == KernelPartition.ColumnBlocks)
        {
            // The generated column kernels: 32 columns by 8 row groups per block, a slice of the rows per grid row.
            uint slices = ColumnSlices(args.Rows, kernel.Columns, kernel.ColumnSums);
            p.Pointer(_partials);
            p.Pointer(_tickets);
            Launch(function, (uint)((kernel.Columns + 31) / 32), slices, 32, 8, &p, kernel.Name);
        }
        else
        {
            p.Pointer(0);
            p.Pointer(0);
            Launch(function, Blocks((long)args.Rows * args.T0.Cols), 1, Threads, 1, &p, kernel.Name);
        }
    }

    /// <inheritdoc />
    protected override void AddBiasCore(Tensor y, Tensor bias)
    {
        var p = default(KernelParams);
        p.Pointer(Address(y));
        p.Pointer(Address(bias));
        p.Int(y.Rows);
        p.Int(y.Cols);
        Run("gandsl_add_bias", Blocks(y.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void BiasGradientCore(Tensor dz, Tensor db, bool accumulate)
    {
        var p = default(KernelParams);
        p.Pointer(Address(dz));
        p.Pointer(Address(db));
        p.Int(dz.Rows);
        p.Int(dz.Cols);
        p.Int(accumulate ? 1 : 0);
        uint slices = ColumnSlices(dz.Rows, dz.Cols);
        p.Pointer(_partials);
        p.Pointer(_tickets);
        Launch(_runtime["gandsl_bias_gradient"], (uint)((dz.Cols + 31) / 32), slices, 32, 8, &p, "gandsl_bias_gradient");
    }

    /// <inheritdoc />
    protected override void LossCore(LossKind kind, in LossOperands operands, in LossSegment first, in LossSegment second)
    {
        // One block per segment (LossKernels.CudaSource).
        var p = default(KernelParams);
        p.Pointer(Address(operands.Prediction));
        p.Pointer(Address(operands.Second));
        p.Pointer(Address(operands.Target));
        p.Pointer(Address(operands.PredictionGradient));
        p.Pointer(Address(operands.SecondGradient));
        p.Pointer(Address(operands.TargetGradient));
        p.Int(operands.Accumulate ? 1 : 0);
        int cols = operands.Prediction.Cols;
        foreach (var segment in (ReadOnlySpan<LossSegment>)[first, second])
        {
            p.Long((long)segment.Rows * cols);
            p.Float(segment.Target);
            p.Float(segment.GradientScale);
            p.Pointer(Address(segment.Weight));
            p.Float(segment.ValueScale);
            p.Pointer(Address(segment.Sum));
            p.Pointer(Address(segment.Score));
            p.Pointer(Address(segment.Value));
        }

        Launch(_losses[(int)kind], second.Rows > 0 ? 2u : 1u, 1, LossKernels.CudaThreads, 1, &p, LossKernels.KernelName(kind));
    }

    /// <inheritdoc />
    protected override void MovingAverageCore(Tensor values, Tensor average, float decay, CounterValue update)
    {
        var p = default(KernelParams);
        p.Pointer(Address(values));
        p.Pointer(Address(average));
        p.Long(values.Length);
        p.Float(decay);
        p.Counter(this, update);
        Run("gandsl_moving_average", Blocks(values.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void AddCore(Tensor source, Tensor destination, float scale)
    {
        var p = default(KernelParams);
        p.Pointer(Address(source));
        p.Pointer(Address(destination));
        p.Long(source.Length);
        p.Float(scale);
        Run("gandsl_add_scaled", Blocks(source.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void EvaluateCore(ScalarProgram program)
    {
        // Each distinct program text is compiled once (and cached on disk like every kernel) into a module of its own;
        // programs built again with the same statements (a schedule set anew) share it. One thread runs it.
        if (!_scalarPrograms.TryGetValue(program, out var compiled))
        {
            const string name = "gandsl_scalars";
            string source = program.CudaSource(name);
            if (!_scalarModules.TryGetValue(source, out nint function))
            {
                nint module = LoadModule(source, "GanDslScalarProgram");
                CudaDriver.Check(CudaDriver.cuModuleGetFunction(out function, module, name), $"cuModuleGetFunction({name})");
                _scalarModules.Add(source, function);
                _scalarModuleHandles.Add(module);
            }

            compiled = new StrongBox<nint>(function);
            _scalarPrograms.Add(program, compiled);
        }

        nint kernel = compiled.Value!;

        var p = default(KernelParams);
        foreach (var tensor in program.Tensors)
        {
            p.Pointer(Address(tensor));
        }

        foreach (var counter in program.Counters)
        {
            p.Pointer(CounterAddress(counter));
        }

        Launch(kernel, 1, 1, 1, 1, &p, "gandsl_scalars");
    }

    /// <inheritdoc />
    protected override void InterpolateCore(Tensor real, Tensor fake, Tensor output, ulong seed, ulong stream, CounterValue counter)
    {
        var p = default(KernelParams);
        p.Pointer(Address(real));
        p.Pointer(Address(fake));
        p.Pointer(Address(output));
        p.Int(real.Rows);
        p.Int(real.Cols);
        p.Long((long)seed);
        p.Long((long)stream);
        p.Counter(this, counter);
        Run("gandsl_interpolate", Blocks(real.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void GradientPenaltyCore(Tensor g, float weight, Tensor penaltyGradient, Tensor stats)
    {
        var p = default(KernelParams);
        p.Pointer(Address(g));
        p.Pointer(Address(penaltyGradient));
        p.Pointer(Address(stats));
        p.Int(g.Rows);
        p.Int(g.Cols);
        p.Float(weight);
        Run("gandsl_gradient_penalty", 1, RuntimeKernels.ReductionThreads, 1, &p);
    }

    /// <inheritdoc />
    protected override void SoftmaxCrossEntropyCore(Tensor logits, Tensor labels, Tensor gradient, in LossSegment segment, bool accumulate)
    {
        var p = default(KernelParams);
        p.Pointer(Address(logits));
        p.Pointer(Address(labels));
        p.Pointer(Address(gradient));
        p.Int(logits.Rows);
        p.Int(logits.Cols);
        p.Float(segment.GradientScale);
        p.Pointer(Address(segment.Weight));
        p.Int(accumulate ? 1 : 0);
        p.Float(segment.ValueScale);
        p.Pointer(Address(segment.Sum));
        p.Pointer(Address(segment.Score));
        p.Pointer(Address(segment.Value));
        Launch(_softmax, 1, 1, LossKernels.CudaThreads, 1, &p, LossKernels.SoftmaxKernelName);
    }

    /// <inheritdoc />
    protected override void AdamCore(Tensor parameters, Tensor gradients, Tensor m, Tensor v, AdamSettings settings, CounterValue step, Tensor nonFinite, Tensor learningRateScale)
    {
        // The coefficients CpuBackend's AdamJob forms, rounded to float the same way; the bias correction
        // is formed on the GPU from the step counter (in double, as on the host).
        var p = default(KernelParams);
        p.Pointer(Address(parameters));
        p.Pointer(Address(gradients));
        p.Pointer(Address(m));
        p.Pointer(Address(v));
        p.Long(parameters.Length);
        p.Float((float)settings.Beta1);
        p.Float((float)(1 - settings.Beta1));
        p.Float((float)settings.Beta2);
        p.Float((float)(1 - settings.Beta2));
        p.Float((float)settings.Epsilon);
        p.Float((float)(1 - settings.LearningRate * settings.WeightDecay));
        p.Double(settings.LearningRate);
        p.Double(settings.Beta1);
        p.Double(settings.Beta2);
        p.Double(settings.WeightDecay);
        p.Counter(this, step);
        p.Pointer(Address(nonFinite));
        p.Pointer(Address(learningRateScale));
        Run("gandsl_adam", Blocks(parameters.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void RmsPropCore(Tensor parameters, Tensor gradients, Tensor squareAverage, RmsPropSettings settings, Tensor nonFinite, Tensor learningRateScale)
    {
        var p = default(KernelParams);
        p.Pointer(Address(parameters));
        p.Pointer(Address(gradients));
        p.Pointer(Address(squareAverage));
        p.Long(parameters.Length);
        p.Float((float)settings.Alpha);
        p.Float((float)(1 - settings.Alpha));
        p.Float((float)settings.LearningRate);
        p.Float((float)settings.Epsilon);
        p.Pointer(Address(nonFinite));
        p.Double(settings.LearningRate);
        p.Pointer(Address(learningRateScale));
        Run("gandsl_rmsprop", Blocks(parameters.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void ClampCore(Tensor tensor, float limit)
    {
        var p = default(KernelParams);
        p.Pointer(Address(tensor));
        p.Long(tensor.Length);
        p.Float(limit);
        Run("gandsl_clamp", Blocks(tensor.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void ImagePoolCore(Tensor images, Tensor pool, Tensor draws, Tensor filled)
    {
        var p = default(KernelParams);
        p.Pointer(Address(images));
        p.Pointer(Address(pool));
        p.Pointer(Address(draws));
        p.Pointer(Address(filled));
        p.Int(images.Rows);
        p.Int(images.Cols);
        p.Int(pool.Rows);
        Run("gandsl_image_pool", Blocks(images.Cols), Threads, 1, &p);
        Run("gandsl_image_pool_count", 1, 1, 1, &p);
    }

    /// <inheritdoc />
    protected override void ReparameterizeCore(Tensor first, Tensor logVariance, Tensor noise, Tensor z, Tensor dMean, Tensor dLogVariance, bool accumulate)
    {
        var p = default(KernelParams);
        p.Pointer(Address(first));
        p.Pointer(Address(logVariance));
        p.Pointer(Address(noise));
        p.Pointer(z.IsEmpty ? 0 : Address(z));
        p.Pointer(dMean.IsEmpty ? 0 : Address(dMean));
        p.Pointer(dLogVariance.IsEmpty ? 0 : Address(dLogVariance));
        p.Int(first.Length);
        p.Int(accumulate ? 1 : 0);
        Run("gandsl_reparameterize", Blocks(first.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void RandomNormalCore(Tensor tensor, ulong seed, ulong stream, CounterValue counter)
    {
        var p = default(KernelParams);
        p.Pointer(Address(tensor));
        p.Long(tensor.Length);
        p.Long((long)seed);
        p.Long((long)stream);
        p.Counter(this, counter);
        Run("gandsl_philox_normal", Blocks((tensor.Length + 3) / 4), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void RandomUniformCore(Tensor tensor, float low, float high, ulong seed, ulong stream, CounterValue counter)
    {
        var p = default(KernelParams);
        p.Pointer(Address(tensor));
        p.Long(tensor.Length);
        p.Float(low);
        p.Float(high);
        p.Long((long)seed);
        p.Long((long)stream);
        p.Counter(this, counter);
        Run("gandsl_philox_uniform", Blocks((tensor.Length + 3) / 4), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override ImageSet CreateImageSetCore(ReadOnlyMemory<byte> pixels, int count, int pixelsPerImage, ReadOnlyMemory<byte> labels)
    {
        MakeCurrent();
        return new CudaImageSet(this, pixels.Span, count, pixelsPerImage, labels.Span);
    }

    /// <inheritdoc />
    protected override void GatherImagesCore(ImageSet images, CounterValue position, Tensor destination, PixelScale scale)
    {
        var set = Owned(images);
        var p = default(KernelParams);
        p.Pointer(set.Pixels);
        p.Pointer(set.Order);
        p.Pointer(Address(destination));
        p.Counter(this, position);
        p.Int(destination.Rows);
        p.Int(destination.Cols);
        p.Int(scale == PixelScale.ZeroToOne ? 1 : 0);
        Run("gandsl_gather_images", Blocks(destination.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void GatherLabelsCore(ImageSet images, CounterValue position, Tensor destination)
    {
        var set = Owned(images);
        var p = default(KernelParams);
        p.Pointer(set.Labels);
        p.Pointer(set.Order);
        p.Pointer(Address(destination));
        p.Counter(this, position);
        p.Int(destination.Rows);
        Run("gandsl_gather_labels", Blocks(destination.Rows), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void Im2ColCore(Tensor images, ConvGeometry geometry, Tensor columns, int rows) =>
        Convolution("gandsl_im2col", images, columns, geometry, rows, columns.Length);

    /// <inheritdoc />
    protected override void Col2ImCore(Tensor columns, ConvGeometry geometry, Tensor images, int rows) =>
        Convolution("gandsl_col2im", columns, images, geometry, rows, (long)rows * geometry.InFeatures);

    /// <inheritdoc />
    protected override void DropoutCore(Tensor source, Tensor destination, float rate, ulong seed, ulong stream, CounterValue counter, bool backward)
    {
        var p = default(KernelParams);
        p.Pointer(Address(source));
        p.Pointer(Address(destination));
        p.Long(source.Length);
        p.Float(rate);
        p.Long((long)seed);
        p.Long((long)stream);
        p.Counter(this, counter);
        Run("gandsl_dropout", Blocks(source.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void ChannelsCore(Tensor stacked, Tensor a, Tensor b, int pixels, int firstChannels, bool split)
    {
        var p = default(KernelParams);
        p.Pointer(Address(stacked));
        p.Pointer(a.IsEmpty ? 0 : Address(a));
        p.Pointer(b.IsEmpty ? 0 : Address(b));
        p.Int(stacked.Rows * pixels);
        p.Int(stacked.Cols / pixels);
        p.Int(firstChannels);
        p.Int(split ? 1 : 0);
        Run("gandsl_channels", Blocks(stacked.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void PlaceColumnsCore(Tensor source, Tensor destination, int offset)
    {
        var p = default(KernelParams);
        p.Pointer(Address(source));
        p.Pointer(Address(destination));
        p.Int(source.Rows);
        p.Int(source.Cols);
        p.Int(destination.Cols);
        p.Int(offset);
        Run("gandsl_place_columns", Blocks(source.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void CategoricalCore(Tensor draws, Tensor destination, int offset, int classes)
    {
        var p = default(KernelParams);
        p.Pointer(Address(draws));
        p.Pointer(Address(destination));
        p.Int(draws.Rows);
        p.Int(destination.Cols);
        p.Int(offset);
        p.Int(classes);
        Run("gandsl_categorical", Blocks(draws.Rows), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void UpsampleCore(Tensor source, Tensor destination, int height, int width, int factor, bool backward)
    {
        var small = backward ? destination : source;
        var p = default(KernelParams);
        p.Pointer(Address(source));
        p.Pointer(Address(destination));
        p.Int(small.Rows);
        p.Int(height);
        p.Int(width);
        p.Int(small.Cols / (height * width));
        p.Int(factor);
        Run(backward ? "gandsl_upsample_backward" : "gandsl_upsample", Blocks(destination.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void ConcatEmbeddingCore(Tensor x, Tensor labels, Tensor table, Tensor y, int pixels)
    {
        var p = default(KernelParams);
        p.Pointer(Address(x));
        p.Pointer(Address(labels));
        p.Pointer(Address(table));
        p.Pointer(Address(y));
        p.Int(x.Rows);
        p.Int(pixels);
        p.Int(x.Cols / pixels);
        p.Int(table.Cols);
        p.Int(table.Rows);
        Run("gandsl_concat_embedding", Blocks(y.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void InstanceNormCore(Tensor x, Tensor dy, Tensor scaleShift, Tensor y, int pixels, int channels, float epsilon, InstanceNormPass pass)
    {
        var p = default(KernelParams);
        p.Pointer(Address(x));
        p.Pointer(dy.IsEmpty ? 0 : Address(dy));
        p.Pointer(scaleShift.IsEmpty ? 0 : Address(scaleShift));
        p.Pointer(Address(y));
        p.Int(x.Rows);
        p.Int(pixels);
        p.Int(channels);
        p.Float(epsilon);
        p.Int((int)pass);
        Run("gandsl_instance_norm", (uint)(((long)x.Rows * channels + Threads - 1) / Threads), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void PReluCore(Tensor z, Tensor second, Tensor y, int channels, PReluPass pass, Tensor gradient = default)
    {
        var p = default(KernelParams);
        p.Pointer(Address(z));
        p.Pointer(Address(second));
        p.Pointer(gradient.IsEmpty ? 0 : Address(gradient));
        p.Pointer(Address(y));
        p.Int((int)z.Length);
        p.Int(channels);
        p.Int((int)pass);
        Run("gandsl_prelu", Blocks(y.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void MultiplyEmbeddingCore(Tensor x, Tensor labels, Tensor table, Tensor y)
    {
        var p = default(KernelParams);
        p.Pointer(Address(x));
        p.Pointer(Address(labels));
        p.Pointer(Address(table));
        p.Pointer(Address(y));
        p.Int(x.Rows);
        p.Int(x.Cols);
        p.Int(table.Rows);
        Run("gandsl_multiply_embedding", Blocks(y.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void MultiplyEmbeddingBackwardCore(Tensor dy, Tensor x, Tensor labels, Tensor table, Tensor tableGradient, Tensor dx, bool accumulate)
    {
        // The table's gradient first: dx may be dy itself.
        if (!tableGradient.IsEmpty)
        {
            var p = default(KernelParams);
            p.Pointer(Address(dy));
            p.Pointer(Address(x));
            p.Pointer(Address(labels));
            p.Pointer(Address(tableGradient));
            p.Int(dy.Rows);
            p.Int(dy.Cols);
            p.Int(table.Rows);
            p.Int(accumulate ? 1 : 0);
            Run("gandsl_multiply_embedding_table", (uint)((tableGradient.Length + Threads - 1) / Threads), Threads, 1, &p);
        }

        if (!dx.IsEmpty)
        {
            MultiplyEmbeddingCore(dy, labels, table, dx); // dx = dy * table[label]: the forward's product
        }
    }

    /// <inheritdoc />
    protected override void EmbeddingBackwardCore(Tensor dy, Tensor labels, Tensor tableGradient, Tensor dx, int pixels, bool accumulate)
    {
        int width = dy.Cols / pixels;
        int channels = dx.IsEmpty ? width - tableGradient.Cols : dx.Cols / pixels;
        int e = width - channels;
        if (!dx.IsEmpty)
        {
            var p = default(KernelParams);
            p.Pointer(Address(dy));
            p.Pointer(Address(dx));
            p.Int(dy.Rows);
            p.Int(pixels);
            p.Int(channels);
            p.Int(e);
            Run("gandsl_embedding_dx", Blocks(dx.Length), Threads, 1, &p);
        }

        if (!tableGradient.IsEmpty)
        {
            var p = default(KernelParams);
            p.Pointer(Address(dy));
            p.Pointer(Address(labels));
            p.Pointer(Address(tableGradient));
            p.Int(dy.Rows);
            p.Int(pixels);
            p.Int(channels);
            p.Int(e);
            p.Int(tableGradient.Rows);
            p.Int(accumulate ? 1 : 0);
            Run("gandsl_embedding_table", (uint)((tableGradient.Length + Threads - 1) / Threads), Threads, 1, &p);
        }
    }

    /// <inheritdoc />
    protected override void BatchNormStatisticsCore(Tensor x, Tensor saved, Tensor running, float momentum, float epsilon, bool training)
    {
        if (!training)
        {
            var e = default(KernelParams);
            e.Pointer(Address(saved));
            e.Pointer(Address(running));
            e.Int(x.Cols);
            e.Float(epsilon);
            Run("gandsl_batchnorm_running", (uint)((x.Cols + Threads - 1) / Threads), Threads, 1, &e);
            return;
        }

        // The mean, then the squared deviations from it: two passes, as the CPU makes them.
        uint tiles = (uint)((x.Cols + 31) / 32), slices = ColumnSlices(x.Rows, x.Cols);
        var m = default(KernelParams);
        m.Pointer(Address(x));
        m.Pointer(Address(saved));
        m.Int(x.Rows);
        m.Int(x.Cols);
        m.Pointer(_partials);
        m.Pointer(_tickets);
        Launch(_runtime["gandsl_batchnorm_mean"], tiles, slices, 32, 8, &m, "gandsl_batchnorm_mean");
        var v = default(KernelParams);
        v.Pointer(Address(x));
        v.Pointer(Address(saved));
        v.Pointer(Address(running));
        v.Int(x.Rows);
        v.Int(x.Cols);
        v.Float(momentum);
        v.Float(epsilon);
        v.Pointer(_partials);
        v.Pointer(_tickets);
        Launch(_runtime["gandsl_batchnorm_variance"], tiles, slices, 32, 8, &v, "gandsl_batchnorm_variance");
    }

    // How many row slices a column sum over (rows, columns) runs in: enough blocks to fill the GPU when the
    // columns are few and the rows many (a convolution's channels over batch x pixels), one for a small
    // batch. Makes sure the partial sums fit (outside a capture: growing allocates).
    private uint ColumnSlices(int rows, int columns, int sums = 2)
    {
        if (InBranch)
        {
            throw new InvalidOperationException($"Column sums over ({rows}, {columns}) cannot run on a side branch: they share one scratch buffer with the main line.");
        }

        int tiles = (columns + 31) / 32;
        if (tiles > Tickets)
        {
            throw new NotSupportedException($"Column sums over {columns} columns: at most {Tickets * 32} are supported.");
        }

        int slices = Math.Clamp(rows / 256, 1, MaxSlices);
        long needed = (long)sums * slices * columns;
        if (needed > _partialsLength)
        {
            if (IsCapturing)
            {
                throw new InvalidOperationException($"Column sums over ({rows}, {columns}) need more scratch than any call before the capture; run the step once before capturing it.");
            }

            long length = Math.Max(needed, 1L << 20);
            MakeCurrent();
            CudaDriver.Check(CudaDriver.cuStreamSynchronize(_stream), "cuStreamSynchronize");
            if (_partials != 0)
            {
                CudaDriver.cuMemFree(_partials);
            }

            CudaDriver.Check(CudaDriver.cuMemAlloc(out _partials, (nuint)(length * sizeof(float))), "cuMemAlloc");
            _partialsLength = length;
        }

        return (uint)slices;
    }

    /// <inheritdoc />
    protected override void BatchNormInputGradientCore(Tensor dy, Tensor x, Tensor saved, Tensor scaleShift, Tensor dx)
    {
        var p = default(KernelParams);
        p.Pointer(Address(dy));
        p.Pointer(Address(x));
        p.Pointer(Address(saved));
        p.Pointer(Address(scaleShift));
        p.Pointer(Address(dx));
        p.Int(dy.Rows);
        p.Int(dy.Cols);
        Run("gandsl_batchnorm_dx", Blocks(dy.Length), Threads, 1, &p);
    }

    /// <inheritdoc />
    protected override void SetCounterCore(DeviceCounter counter, ulong value)
    {
        var p = default(KernelParams);
        p.Pointer(CounterAddress(counter));
        p.Long((long)value);
        Run("gandsl_counter_set", 1, 1, 1, &p);
    }

    /// <inheritdoc />
    protected override void AddToCounterCore(DeviceCounter counter, ulong delta) => AddToCountersCore([(counter, delta)]);

    /// <inheritdoc />
    protected override void AddToCountersCore(ReadOnlySpan<(DeviceCounter Counter, ulong Delta)> increments)
    {
        // One launch for all: four (address, delta) pairs, unused ones with a null address.
        var p = default(KernelParams);
        for (int i = 0; i < MaxCountersPerAdd; i++)
        {
            p.Pointer(i < increments.Length ? CounterAddress(increments[i].Counter) : 0);
            p.Long(i < increments.Length ? (long)increments[i].Delta : 0);
        }

        Run("gandsl_counters_add", 1, 1, 1, &p);
    }

    /// <inheritdoc />
    protected override void BeginCaptureCore()
    {
        MakeCurrent();
        _sideCaptured = false;
        CudaDriver.Check(CudaDriver.cuStreamBeginCapture(_stream, CudaDriver.CaptureModeThreadLocal), "cuStreamBeginCapture");
    }

    /// <inheritdoc />
    protected override StepGraph EndCaptureCore(IEnumerable<(DeviceCounter Counter, ulong Delta)> increments)
    {
        MakeCurrent();
        _sideCaptured = false;
        CudaDriver.Check(CudaDriver.cuStreamEndCapture(_stream, out nint graph), "cuStreamEndCapture");
        try
        {
            CudaDriver.Check(CudaDriver.cuGraphInstantiateWithFlags(out nint executable, graph, 0), "cuGraphInstantiateWithFlags");
            var (nodes, chain) = Shape(graph);
            return new CudaStepGraph(this, executable, increments) { NodeCount = nodes, LongestChain = chain };
        }
        finally
        {
            CudaDriver.cuGraphDestroy(graph);
        }
    }

    // A captured graph's node count and its depth: the most nodes on one path along its edges (0 when the driver
    // cannot list the edges; the depth is a diagnostic, never worth failing a capture for).
    private static (int Nodes, int LongestChain) Shape(nint graph)
    {
        nuint count = 0;
        CudaDriver.Check(CudaDriver.cuGraphGetNodes(graph, null, ref count), "cuGraphGetNodes");
        var nodes = new nint[(int)count];
        nuint edgeCount = 0;
        if (count == 0 || CudaDriver.cuGraphGetEdges(graph, null, null, ref edgeCount) != CudaDriver.Success)
        {
            return ((int)count, 0);
        }

        var from = new nint[(int)edgeCount];
        var to = new nint[(int)edgeCount];
        fixed (nint* n = nodes, f = from, t = to)
        {
            CudaDriver.Check(CudaDriver.cuGraphGetNodes(graph, n, ref count), "cuGraphGetNodes");
            if (edgeCount > 0 && CudaDriver.cuGraphGetEdges(graph, f, t, ref edgeCount) != CudaDriver.Success)
            {
                return (nodes.Length, 0);
            }
        }

        return (nodes.Length, GraphDepth.LongestChain(nodes, from.AsSpan(0, (int)edgeCount), to.AsSpan(0, (int)edgeCount)));
    }

    /// <inheritdoc />
    protected override void BeginBranchCore()
    {
        if (Branches)
        {
            MakeCurrent();
            CudaDriver.Check(CudaDriver.cuEventRecord(_fork, _stream), "cuEventRecord");
            CudaDriver.Check(CudaDriver.cuStreamWaitEvent(_side, _fork, 0), "cuStreamWaitEvent");
            _sideCaptured |= IsCapturing;
            _current = _side;
            _currentCublas = _cublasSide;
        }
    }

    /// <inheritdoc />
    protected override void EndBranchCore()
    {
        _current = _stream;
        _currentCublas = _cublas;
    }

    /// <inheritdoc />
    protected override void JoinBranchesCore()
    {
        if (Branches)
        {
            MakeCurrent();
            CudaDriver.Check(CudaDriver.cuEventRecord(_join, _side), "cuEventRecord");
            CudaDriver.Check(CudaDriver.cuStreamWaitEvent(_stream, _join, 0), "cuStreamWaitEvent");
        }
    }

    /// <inheritdoc />
    protected override void AbortCaptureCore()
    {
        MakeCurrent();
        EndBranchCore();
        if (_sideCaptured)
        {
            // Rejoin the side stream, so that it leaves the capture with the main one (failures here change nothing).
            CudaDriver.cuEventRecord(_join, _side);
            CudaDriver.cuStreamWaitEvent(_stream, _join, 0);
            _sideCaptured = false;
        }

        if (CudaDriver.cuStreamEndCapture(_stream, out nint graph) == CudaDriver.Success && graph != 0)
        {
            CudaDriver.cuGraphDestroy(graph);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            MakeCurrent();
            CudaDriver.cuStreamSynchronize(_stream);
            if (_side != 0)
            {
                CudaDriver.cuStreamSynchronize(_side);
            }
        }

        _disposed = true;
        Release();
    }

    private void Release()
    {
        foreach (nint module in _modules.Values)
        {
            CudaDriver.cuModuleUnload(module);
        }

        _modules.Clear();
        foreach (nint module in _scalarModuleHandles)
        {
            CudaDriver.cuModuleUnload(module);
        }

        _scalarModuleHandles.Clear();
        _scalarModules.Clear();
        foreach (nint module in (ReadOnlySpan<nint>)[_runtimeModule, _lossModule])
        {
            if (module != 0)
            {
                CudaDriver.cuModuleUnload(module);
            }
        }

        foreach (nint handle in new[] { _cublas, _cublasSide })
        {
            if (handle != 0)
            {
                Cublas.cublasDestroy(handle);
            }
        }

        foreach (nint evt in new[] { _fork, _join })
        {
            if (evt != 0)
            {
                CudaDriver.cuEventDestroy(evt);
            }
        }

        foreach (ulong memory in new[] { _workspace, _workspaceSide, _counters, _tickets, _partials })
        {
            if (memory != 0)
            {
                CudaDriver.cuMemFree(memory);
            }
        }

        foreach (nint stream in new[] { _stream, _side })
        {
            if (stream != 0)
            {
                CudaDriver.cuStreamDestroy(stream);
            }
        }

        if (_context != 0)
        {
            CudaDriver.cuDevicePrimaryCtxRelease(_device);
            t_current = 0;
        }
    }

    internal void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t_current != _context)
        {
            CudaDriver.Check(CudaDriver.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
            t_current = _context;
        }
    }

    internal nint Stream => _stream;

    internal bool IsDisposed => _disposed;

    private ulong CounterAddress(DeviceCounter counter) => _counters + (ulong)counter.Slot * sizeof(ulong);

    // Enough blocks of Threads for a grid-stride loop over count elements; the kernels index them in 32 bits.
    private uint Blocks(long count) =>
        count <= uint.MaxValue
            ? (uint)Math.Clamp((count + Threads - 1) / Threads, 1, _maxBlocks)
            : throw new NotSupportedException($"A launch over {count:N0} elements: the CUDA backend's kernels index at most {uint.MaxValue:N0}.");

    private void Convolution(string kernel, Tensor source, Tensor destination, ConvGeometry g, int rows, long count)
    {
        var p = default(KernelParams);
        p.Pointer(Address(source));
        p.Pointer(Address(destination));
        p.Int(rows);
        p.Int(g.InChannels);
        p.Int(g.InHeight);
        p.Int(g.InWidth);
        p.Int(g.OutHeight);
        p.Int(g.OutWidth);
        p.Int(g.Kernel);
        p.Int(g.Stride);
        p.Int(g.PadTop);
        p.Int(g.PadLeft);
        Run(kernel, Blocks(count), Threads, 1, &p);
    }

    private CudaImageSet Owned(ImageSet images) =>
        images as CudaImageSet is { } set && ReferenceEquals(set.Backend, this)
            ? set
            : throw new ArgumentException("The image set belongs to another backend.", nameof(images));

    private void Run(string name, uint grid, uint blockX, uint blockY, KernelParams* p) => Launch(_runtime[name], grid, 1, blockX, blockY, p, name);

    private void Launch(nint function, uint grid, uint gridY, uint blockX, uint blockY, KernelParams* p, string name)
    {
        MakeCurrent();
        void** pointers = stackalloc void*[p->Count];
        ulong* values = (ulong*)p;
        for (int i = 0; i < p->Count; i++)
        {
            pointers[i] = values + i;
        }

        int result = CudaDriver.cuLaunchKernel(function, grid, gridY, 1, blockX, blockY, 1, 0, _current, pointers, null);
        if (result != CudaDriver.Success)
        {
            CudaDriver.Check(result, $"cuLaunchKernel({name})");
        }
    }

    // The network's kernels: its program compiled (and cached) on first use, then each entry point looked up once.
    private nint Function(FusedKernel kernel)
    {
        if (_functions.TryGetValue(kernel, out nint function))
        {
            return function;
        }

        var program = kernel.Program
            ?? throw new NotSupportedException($"Kernel {kernel.Name} has no CUDA version (it was built without the generator's device source).");
        if (!_modules.TryGetValue(program, out nint module))
        {
            module = LoadModule(program.CudaSource, program.Name);
            _modules[program] = module;
        }

        CudaDriver.Check(CudaDriver.cuModuleGetFunction(out function, module, kernel.Name), $"cuModuleGetFunction({program.Name}.{kernel.Name})");
        _functions[kernel] = function;
        return function;
    }

    private nint LoadModule(string source, string programName)
    {
        MakeCurrent();
        var capability = Probe.ComputeCapability!;
        byte[] cubin = _compiler.Compile(source, programName, capability.Major, capability.Minor);
        fixed (byte* image = cubin)
        {
            CudaDriver.Check(CudaDriver.cuModuleLoadData(out nint module, image), $"cuModuleLoadData({programName})");
            return module;
        }
    }

    /// <summary>
    /// A kernel's parameters, each in an 8-byte slot (little-endian, so a 4-byte value's slot address is
    /// its address): cuLaunchKernel reads each from its pointer with the kernel's own sizes.
    /// </summary>
    private struct KernelParams
    {
        private fixed ulong _values[24];

        public int Count;

        public void Pointer(ulong address) => _values[Count++] = address;

        public void Int(int value) => _values[Count++] = (uint)value;

        public void Long(long value) => _values[Count++] = (ulong)value;

        public void Float(float value) => _values[Count++] = BitConverter.SingleToUInt32Bits(value);

        public void Double(double value) => _values[Count++] = BitConverter.DoubleToUInt64Bits(value);

        // A CounterValue is three arguments: the counter's address (0 for a constant), the scale, the offset.
        public void Counter(CudaBackend backend, CounterValue value)
        {
            Pointer(value.Counter is null ? 0 : backend.CounterAddress(value.Counter));
            Long((long)value.Scale);
            Long((long)value.Offset);
        }
    }

    private sealed class CudaStepGraph(CudaBackend backend, nint executable, IEnumerable<(DeviceCounter Counter, ulong Delta)> increments)
        : StepGraph(increments)
    {
        private nint _executable = executable;

        protected override void LaunchCore()
        {
            ObjectDisposedException.ThrowIf(_executable == 0, this);
            backend.MakeCurrent();
            CudaDriver.Check(CudaDriver.cuGraphLaunch(_executable, backend.Stream), "cuGraphLaunch");
        }

        protected override void Dispose(bool disposing)
        {
            if (_executable != 0 && !backend._disposed)
            {
                backend.MakeCurrent();
                CudaDriver.cuGraphExecDestroy(_executable);
            }

            _executable = 0;
        }
    }
}

/// <summary>Device memory for the CUDA backend.</summary>
internal sealed class CudaBuffer : DeviceBuffer
{
    internal CudaBuffer(CudaBackend backend, long length)
        : base(backend, length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int result = CudaDriver.cuMemAlloc(out ulong pointer, (nuint)Math.Max(1, length) * sizeof(float));
        if (result != CudaDriver.Success)
        {
            throw new CudaException("cuMemAlloc", result, CudaDriver.ErrorName(result), $"{length * sizeof(float) / (1024.0 * 1024):F1} MiB asked for");
        }

        Pointer = pointer;
        if (length > 0)
        {
            CudaDriver.Check(CudaDriver.cuMemsetD32Async(pointer, 0, (nuint)length, backend.Stream), "cuMemsetD32Async");
        }
    }

    /// <summary>The device address.</summary>
    public ulong Pointer { get; private set; }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // After the backend is gone, so is its context and this memory with it.
        var backend = (CudaBackend)Backend;
        if (Pointer != 0 && !backend.IsDisposed)
        {
            backend.MakeCurrent();
            CudaDriver.cuMemFree(Pointer);
            Pointer = 0;
        }
    }
}

/// <summary>Images as bytes in device memory, their labels, and the order batches are drawn in (device ints).</summary>
internal sealed unsafe class CudaImageSet : ImageSet
{
    public CudaImageSet(CudaBackend backend, ReadOnlySpan<byte> pixels, int count, int pixelsPerImage, ReadOnlySpan<byte> labels)
        : base(count, pixelsPerImage, !labels.IsEmpty)
    {
        Backend = backend;
        try
        {
            Pixels = Copy(pixels);
            Labels = labels.IsEmpty ? 0 : Copy(labels);
            CudaDriver.Check(CudaDriver.cuMemAlloc(out ulong order, (nuint)count * sizeof(int)), "cuMemAlloc");
            Order = order;
            var identity = new int[count];
            for (int i = 0; i < count; i++)
            {
                identity[i] = i;
            }

            SetOrderCore(identity);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public CudaBackend Backend { get; }

    public ulong Pixels { get; private set; }

    public ulong Labels { get; private set; }

    public ulong Order { get; private set; }

    protected override void SetOrderCore(ReadOnlySpan<int> order)
    {
        Backend.MakeCurrent();
        fixed (int* o = order)
        {
            CudaDriver.Check(CudaDriver.cuMemcpyHtoDAsync(Order, o, (nuint)order.Length * sizeof(int), Backend.Stream), "cuMemcpyHtoDAsync");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Backend.IsDisposed || (Pixels | Labels | Order) == 0)
        {
            (Pixels, Labels, Order) = (0, 0, 0);
            return;
        }

        Backend.MakeCurrent();
        foreach (ulong pointer in new[] { Pixels, Labels, Order })
        {
            if (pointer != 0)
            {
                CudaDriver.cuMemFree(pointer);
            }
        }

        (Pixels, Labels, Order) = (0, 0, 0);
    }

    private ulong Copy(ReadOnlySpan<byte> bytes)
    {
        CudaDriver.Check(CudaDriver.cuMemAlloc(out ulong pointer, (nuint)Math.Max(1, bytes.Length)), "cuMemAlloc");
        fixed (byte* b = bytes)
        {
            CudaDriver.Check(CudaDriver.cuMemcpyHtoDAsync(pointer, b, (nuint)bytes.Length, Backend.Stream), "cuMemcpyHtoDAsync");
        }

        return pointer;
    }
}
