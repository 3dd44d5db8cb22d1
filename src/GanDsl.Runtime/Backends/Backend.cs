using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// Runs the operations a training step is made of: GEMMs, generated fused kernels, the loss, the
/// optimizer and the random numbers, over memory it owns. Generated network code and the trainer
/// call only this class, so the same model runs on the CPU or a GPU.
/// </summary>
/// <remarks>
/// The public methods check shapes once and then call the protected <c>...Core</c> methods; an
/// implementation only has to do the arithmetic.
/// </remarks>
public abstract partial class Backend : IDisposable
{
    /// <summary>The best available backend: CUDA when usable, else the CPU (the reason goes to <paramref name="log"/>).</summary>
    public static Backend Auto(TextWriter? log = null) => BackendFactory.Create(DeviceChoice.Auto, log);

    /// <summary>
    /// The backend for <paramref name="device"/>: <see cref="DeviceChoice.Auto"/> falls back to the CPU, saying why on
    /// <paramref name="log"/> (or, with none, in the trainer's first lines); <see cref="DeviceChoice.Cuda"/> that cannot be
    /// honoured throws <see cref="NotSupportedException"/> with the reason. <paramref name="cpuThreads"/> (default: every
    /// core, or <c>GANDSL_CPU_THREADS</c>) sizes the CPU's pool; <paramref name="tf32"/> lets cuBLAS use TF32 on a GPU.
    /// </summary>
    public static Backend Create(DeviceChoice device, TextWriter? log = null, int? cpuThreads = null, bool tf32 = false) =>
        BackendFactory.Create(device, log, cpuThreads, tf32);

    /// <summary>GanDsl's version, as the package and every assembly carry it (e.g. <c>0.1.0+</c> the commit).</summary>
    public static string Version { get; } =
        typeof(Backend).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The most CPU threads <see cref="Create"/> takes.</summary>
    public const int MaxCpuThreads = Backends.Cpu.WorkerPool.MaxThreads;

    /// <summary>Why <see cref="DeviceChoice.Auto"/> chose this device, when nobody was told yet (the trainer prints it).</summary>
    internal string? ChoiceNote { get; set; }

    /// <summary>Short name, for example <c>cpu</c> or <c>cuda</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line describing the device, for logs (model, threads, instruction set).</summary>
    public abstract string Description { get; }

    /// <summary>Allocates <paramref name="length"/> floats, zeroed.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public abstract DeviceBuffer Allocate(long length);

    /// <summary>Bytes the backend can still allocate, as well as it can tell (long.MaxValue when it cannot); networks check their arenas against it first.</summary>
    public virtual long AvailableMemoryBytes => long.MaxValue;

    /// <summary>The most floats one buffer may hold.</summary>
    public virtual long MaxBufferLength => long.MaxValue;

    /// <summary>Copies host values into a tensor (after any side branch has joined).</summary>
    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        RequireOwned(destination, nameof(destination));
        RequireLength(source.Length, destination, nameof(source));
        JoinBranchesFor(nameof(Upload));
        UploadCore(source, destination);
    }

    /// <summary>Copies a tensor's values to the host, waiting for pending work (side branches included).</summary>
    public void Download(Tensor source, Span<float> destination)
    {
        RequireOwned(source, nameof(source));
        RequireLength(destination.Length, source, nameof(destination));
        JoinBranchesFor(nameof(Download));
        DownloadCore(source, destination);
    }

    /// <summary>
    /// Starts a side branch: the calls up to <see cref="EndBranch"/> run after everything issued before it, but may
    /// overlap the calls issued after <see cref="EndBranch"/>, until <see cref="JoinBranches"/> (a GPU runs them on a
    /// second stream, and a captured step becomes a graph with two parallel paths; the CPU runs them in place, in
    /// order). The caller promises that nothing issued between <see cref="EndBranch"/> and the join writes what the
    /// branch reads, or reads or writes what it writes. A branch may hold GEMMs, copies, fills and the element-wise
    /// runtime operations (noise, the batch gather), not column sums (bias gradients, narrow Dense backward kernels,
    /// BatchNorm statistics), which share one scratch buffer. Downloads, uploads, <see cref="Synchronize"/> and the end
    /// of a capture join first; <see cref="Network.Backward(int, Tensor, bool, bool, bool)"/> joins before it returns.
    /// </summary>
    public void BeginBranch()
    {
        if (InBranch)
        {
            throw new InvalidOperationException("A side branch is already open: call EndBranch before starting another.");
        }

        InBranch = true;
        _branchPending = true;
        BeginBranchCore();
    }

    /// <summary>Ends the side branch <see cref="BeginBranch"/> started: later calls run on the main line again.</summary>
    public void EndBranch()
    {
        if (!InBranch)
        {
            throw new InvalidOperationException("No side branch is open: EndBranch must follow BeginBranch.");
        }

        InBranch = false;
        EndBranchCore();
    }

    /// <summary>Makes the calls issued after this wait for every side branch so far (nothing to do when none is pending).</summary>
    public void JoinBranches() => JoinBranchesFor(nameof(JoinBranches));

    // The join before a call that must see every branch's work; what names that call in the error.
    private void JoinBranchesFor(string what)
    {
        if (InBranch)
        {
            throw new InvalidOperationException($"{what} cannot run inside a side branch: call EndBranch first.");
        }

        if (_branchPending)
        {
            _branchPending = false;
            JoinBranchesCore();
        }
    }

    /// <summary>Whether calls go to a side branch right now (between <see cref="BeginBranch"/> and <see cref="EndBranch"/>).</summary>
    public bool InBranch { get; private set; }

    private bool _branchPending; // a branch was started and not yet joined

    /// <summary>Forks: the next calls go to the side line, after everything issued so far. Nothing to do on the CPU.</summary>
    protected virtual void BeginBranchCore()
    {
    }

    /// <summary>Back to the main line. Nothing to do on the CPU.</summary>
    protected virtual void EndBranchCore()
    {
    }

    /// <summary>Makes the main line wait for the side line. Nothing to do on the CPU.</summary>
    protected virtual void JoinBranchesCore()
    {
    }

    /// <summary>Sets every element of <paramref name="tensor"/> to <paramref name="value"/>.</summary>
    public void Fill(Tensor tensor, float value)
    {
        RequireOwned(tensor, nameof(tensor));
        FillCore(tensor, value);
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same element count).</summary>
    public void Copy(Tensor source, Tensor destination)
    {
        RequireOwned(source, nameof(source));
        RequireOwned(destination, nameof(destination));
        RequireLength(source.Length, destination, nameof(source));
        CopyCore(source, destination);
    }

    /// <summary>
    /// <c>C = op(A) op(B) + beta C</c> with row-major tensors, where <c>op(X)</c> is <c>X</c> or its
    /// transpose. With <paramref name="beta"/> 0 the old contents of C are never read.
    /// </summary>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float beta = 0f)
    {
        RequireOwned(a, nameof(a));
        RequireOwned(b, nameof(b));
        RequireOwned(c, nameof(c));
        int m = transposeA ? a.Cols : a.Rows;
        int k = transposeA ? a.Rows : a.Cols;
        int kb = transposeB ? b.Cols : b.Rows;
        int n = transposeB ? b.Rows : b.Cols;
        if (k != kb || c.Rows != m || c.Cols != n)
        {
            throw new ArgumentException(
                $"GEMM shapes do not agree: op(A) is ({m}, {k}), op(B) is ({kb}, {n}), C is {c}.");
        }

        GemmCore(a, transposeA, b, transposeB, c, beta);
    }

    /// <summary>Runs a generated fused kernel.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Launch(FusedKernel kernel, in KernelArgs args)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        RequireOwned(args.T0, "args.T0");
        if (args.Rows < 0 || args.T0.Rows < args.Rows || args.T0.Cols != kernel.Columns)
        {
            throw new ArgumentException(
                $"Kernel {kernel.Name} expects ({args.Rows}, {kernel.Columns}) but got {args.T0}.", nameof(args));
        }

        if (args.Rows > 0)
        {
            LaunchCore(kernel, args);
        }
    }

    /// <summary><c>y[r, c] += bias[c]</c> for every row (the unfused path, and Dense layers without activation).</summary>
    public void AddBias(Tensor y, Tensor bias)
    {
        RequireOwned(y, nameof(y));
        RequireOwned(bias, nameof(bias));
        RequireLength(y.Cols, bias, nameof(y));
        AddBiasCore(y, bias);
    }

    /// <summary>Bias gradient: <c>db[c] (+)= sum over rows of dz[r, c]</c>, in a fixed order (rows in order on the CPU; on a GPU, row groups and slices added in order), so it is deterministic.</summary>
    public void BiasGradient(Tensor dz, Tensor db, bool accumulate)
    {
        RequireOwned(dz, nameof(dz));
        RequireOwned(db, nameof(db));
        RequireLength(dz.Cols, db, nameof(dz));
        BiasGradientCore(dz, db, accumulate);
    }

    /// <summary>
    /// WGAN-GP's interpolation: row r of <paramref name="output"/> is <c>e_r real_r + (1 - e_r) fake_r</c>,
    /// with <c>e_r</c> uniform in [0, 1) from Philox at (<paramref name="seed"/>, <paramref name="stream"/>, <paramref name="counter"/>) as <see cref="RandomUniform"/> draws it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Interpolate(Tensor real, Tensor fake, Tensor output, ulong seed, ulong stream, CounterValue counter)
    {
        RequireOwned(real, nameof(real));
        RequireOwned(fake, nameof(fake));
        RequireOwned(output, nameof(output));
        RequireLength(real.Length, fake, nameof(fake));
        RequireLength(real.Length, output, nameof(output));
        RequireCounter(counter);
        InterpolateCore(real, fake, output, seed, stream, counter);
    }

    /// <summary>
    /// WGAN-GP's penalty on the critic's input gradients <paramref name="g"/> (rows, features):
    /// <c>P = weight * sum_r (|g_r| - 1)^2</c> added to <c>stats[0]</c>, and its gradient with respect to
    /// each g_r, <c>2 weight (|g_r| - 1) g_r / |g_r|</c>, written to <paramref name="penaltyGradient"/>.
    /// </summary>
    public void GradientPenalty(Tensor g, float weight, Tensor penaltyGradient, Tensor stats)
    {
        RequireOwned(g, nameof(g));
        RequireOwned(penaltyGradient, nameof(penaltyGradient));
        RequireOwned(stats, nameof(stats));
        RequireLength(g.Length, penaltyGradient, nameof(penaltyGradient));
        GradientPenaltyCore(g, weight, penaltyGradient, stats);
    }

    /// <summary>
    /// Softmax cross-entropy on (rows, classes) logits against integer class labels stored as floats in a (rows, 1)
    /// tensor, with its gradient <c>scale * (softmax(l) - onehot(label))</c> (scale: the segment's gradient scale, times
    /// its weight when given), written or, with <paramref name="accumulate"/>, added. The segment's value outputs get
    /// <c>ValueScale</c> times the summed losses; its score output gets the fraction of rows whose arg-max is the label.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor gradient, in LossSegment segment, bool accumulate = false)
    {
        RequireOwned(logits, nameof(logits));
        RequireOwned(labels, nameof(labels));
        RequireOwned(gradient, nameof(gradient));
        RequireLength(logits.Rows, labels, nameof(labels));
        RequireLength(logits.Length, gradient, nameof(gradient));
        if (segment.Rows != logits.Rows)
        {
            throw new ArgumentException($"The segment covers {segment.Rows} rows, but the logits have {logits.Rows}.", nameof(segment));
        }

        RequireSegment(segment, nameof(segment));
        SoftmaxCrossEntropyCore(logits, labels, gradient, segment, accumulate);
    }

    /// <summary>
    /// One Adam step over a whole parameter buffer (PyTorch's formula, bias-corrected), with
    /// optional decoupled weight decay (AdamW) when <see cref="AdamSettings.WeightDecay"/> is set.
    /// </summary>
    /// <param name="parameters">Parameters, updated in place.</param>
    /// <param name="gradients">Their gradients (same layout).</param>
    /// <param name="m">First-moment state (same layout), updated.</param>
    /// <param name="v">Second-moment state (same layout), updated.</param>
    /// <param name="settings">Learning rate, betas, epsilon, weight decay.</param>
    /// <param name="step">The step number, counting from 1: a constant, or read from a counter when the update runs (so a captured step replays with the right bias correction).</param>
    /// <param name="nonFinite">Optional: one float set to 1 when any gradient is NaN or infinite (the
    /// update still runs; the caller stops training). Checked in the same pass, so it costs nothing extra.</param>
    /// <param name="learningRateScale">Optional: one float read when the update runs that multiplies the learning rate (a schedule kept on the device).</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Adam(Tensor parameters, Tensor gradients, Tensor m, Tensor v, AdamSettings settings, CounterValue step, Tensor nonFinite = default, Tensor learningRateScale = default)
    {
        RequireOwned(parameters, nameof(parameters));
        RequireOwned(gradients, nameof(gradients));
        RequireOwned(m, nameof(m));
        RequireOwned(v, nameof(v));
        RequireLength(parameters.Length, gradients, nameof(gradients));
        RequireLength(parameters.Length, m, nameof(m));
        RequireLength(parameters.Length, v, nameof(v));
        RequireCounter(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(step.Resolve(), 1UL, nameof(step));
        ArgumentNullException.ThrowIfNull(settings);
        if (!nonFinite.IsEmpty)
        {
            RequireOwned(nonFinite, nameof(nonFinite));
        }

        if (!learningRateScale.IsEmpty)
        {
            RequireOwned(learningRateScale, nameof(learningRateScale));
        }

        AdamCore(parameters, gradients, m, v, settings, step, nonFinite, learningRateScale);
    }

    /// <summary>
    /// One RMSprop step over a whole parameter buffer (PyTorch's formula, no momentum):
    /// <c>v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)</c>.
    /// </summary>
    /// <param name="parameters">Parameters, updated in place.</param>
    /// <param name="gradients">Their gradients.</param>
    /// <param name="squareAverage">The running average of squared gradients, updated.</param>
    /// <param name="settings">Learning rate, alpha, epsilon.</param>
    /// <param name="nonFinite">Optional: one float set to 1 when any gradient is NaN or infinite.</param>
    /// <param name="learningRateScale">Optional: one float read when the update runs that multiplies the learning rate.</param>
    public void RmsProp(Tensor parameters, Tensor gradients, Tensor squareAverage, RmsPropSettings settings, Tensor nonFinite = default, Tensor learningRateScale = default)
    {
        RequireOwned(parameters, nameof(parameters));
        RequireOwned(gradients, nameof(gradients));
        RequireOwned(squareAverage, nameof(squareAverage));
        RequireLength(parameters.Length, gradients, nameof(gradients));
        RequireLength(parameters.Length, squareAverage, nameof(squareAverage));
        ArgumentNullException.ThrowIfNull(settings);
        if (!nonFinite.IsEmpty)
        {
            RequireOwned(nonFinite, nameof(nonFinite));
        }

        if (!learningRateScale.IsEmpty)
        {
            RequireOwned(learningRateScale, nameof(learningRateScale));
        }

        RmsPropCore(parameters, gradients, squareAverage, settings, nonFinite, learningRateScale);
    }

    /// <summary>Clamps every element of <paramref name="tensor"/> to [-<paramref name="limit"/>, <paramref name="limit"/>] (WGAN's weight clipping).</summary>
    public void Clamp(Tensor tensor, float limit)
    {
        RequireOwned(tensor, nameof(tensor));
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ClampCore(tensor, limit);
    }

    /// <summary>
    /// Fills a tensor with standard normal values from the counter-based Philox generator: element
    /// <c>i</c> depends only on (<paramref name="seed"/>, <paramref name="stream"/>, <paramref name="counter"/>, i),
    /// so every backend draws the same numbers.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void RandomNormal(Tensor tensor, ulong seed, ulong stream, CounterValue counter)
    {
        RequireOwned(tensor, nameof(tensor));
        RequireCounter(counter);
        RandomNormalCore(tensor, seed, stream, counter);
    }

    /// <summary>Uniform values in [<paramref name="low"/>, <paramref name="high"/>), Philox as in <see cref="RandomNormal"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void RandomUniform(Tensor tensor, float low, float high, ulong seed, ulong stream, CounterValue counter)
    {
        RequireOwned(tensor, nameof(tensor));
        RequireCounter(counter);
        RandomUniformCore(tensor, low, high, seed, stream, counter);
    }

    /// <summary>Makes a dataset of 8-bit images, and optionally their class labels, resident on this backend.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ImageSet CreateImageSet(ReadOnlyMemory<byte> pixels, int count, int pixelsPerImage, ReadOnlyMemory<byte> labels = default)
    {
        if (!labels.IsEmpty && labels.Length != count)
        {
            throw new ArgumentException($"Expected {count} labels, got {labels.Length}.", nameof(labels));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixelsPerImage);
        if (pixels.Length != (long)count * pixelsPerImage)
        {
            throw new ArgumentException($"Expected {count} x {pixelsPerImage} bytes, got {pixels.Length}.", nameof(pixels));
        }

        return CreateImageSetCore(pixels, count, pixelsPerImage, labels);
    }

    /// <summary>
    /// Writes images <c>order[position .. position + destination.Rows)</c> of <paramref name="images"/>
    /// into the rows of <paramref name="destination"/>, scaled from [0, 255] to [-1, 1].
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void GatherImages(ImageSet images, int position, Tensor destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        GatherImages(images, new CounterValue(null, 0, (ulong)position), destination);
    }

    /// <summary>
    /// <see cref="GatherImages(ImageSet, int, Tensor)"/> from a position read from a counter when the
    /// gather runs (so a captured graph replays over the next batch), scaled to [-1, 1] or, by
    /// <paramref name="scale"/>, to [0, 1].
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void GatherImages(ImageSet images, CounterValue position, Tensor destination, PixelScale scale = PixelScale.MinusOneToOne)
    {
        ArgumentNullException.ThrowIfNull(images);
        RequireOwned(destination, nameof(destination));
        RequireCounter(position);
        if (destination.Cols != images.PixelsPerImage || position.Resolve() + (ulong)destination.Rows > (ulong)images.Count)
        {
            throw new ArgumentException(
                $"Cannot gather {destination.Rows} images from position {position} of {images.Count} into {destination}.");
        }

        if (scale is not (PixelScale.MinusOneToOne or PixelScale.ZeroToOne))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "Pixels scale to [-1, 1] or [0, 1].");
        }

        GatherImagesCore(images, position, destination, scale);
    }

    /// <summary>
    /// Writes the labels of images <c>order[position .. position + destination.Rows)</c> into the
    /// (rows, 1) <paramref name="destination"/>, as floats.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void GatherLabels(ImageSet images, int position, Tensor destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        GatherLabels(images, new CounterValue(null, 0, (ulong)position), destination);
    }

    /// <summary><see cref="GatherLabels(ImageSet, int, Tensor)"/> from a position read from a counter when the gather runs.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void GatherLabels(ImageSet images, CounterValue position, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(images);
        RequireOwned(destination, nameof(destination));
        RequireCounter(position);
        if (!images.HasLabels)
        {
            throw new InvalidOperationException("This image set was created without labels.");
        }

        if (destination.Cols != 1 || position.Resolve() + (ulong)destination.Rows > (ulong)images.Count)
        {
            throw new ArgumentException(
                $"Cannot gather {destination.Rows} labels from position {position} of {images.Count} into {destination}.");
        }

        GatherLabelsCore(images, position, destination);
    }

    /// <summary>
    /// im2col: for each image of <paramref name="images"/> ((rows, InHeight x InWidth x InChannels), channels-last),
    /// one row per output pixel holding the input patch it sees, zeros where the patch leaves the image;
    /// <paramref name="columns"/> is (rows x OutPixels, InChannels x Kernel x Kernel).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Im2Col(Tensor images, ConvGeometry geometry, Tensor columns) =>
        Im2ColCore(images, geometry, columns, ConvolutionRows(images, geometry, columns));

    /// <summary>
    /// col2im, the adjoint of <see cref="Im2Col"/>: sums each column row's values back into the pixels
    /// its patch came from, overwriting <paramref name="images"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Col2Im(Tensor columns, ConvGeometry geometry, Tensor images) =>
        Col2ImCore(columns, geometry, images, ConvolutionRows(images, geometry, columns));

    /// <summary>
    /// A convolution's gather pass, <c>output = im2col(images) x weightsᵀ</c>: Conv2D's forward pass, and
    /// ConvTranspose2D's input gradient. <paramref name="weights"/> is (F, Columns) in PyTorch's order and
    /// <paramref name="output"/> (rows x OutPixels, F), overwritten.
    /// </summary>
    /// <param name="images">(rows, InHeight x InWidth x InChannels), channels-last.</param>
    /// <param name="geometry">The convolution.</param>
    /// <param name="weights">(F, InChannels x Kernel x Kernel).</param>
    /// <param name="output">(rows x OutPixels, F).</param>
    /// <param name="columns">
    /// (rows x OutPixels, Columns) scratch for backends that go through im2col, its contents undefined after; empty
    /// where <see cref="ConvolutionNeedsColumns"/> is false.
    /// </param>
    /// <param name="columnsHoldImages">
    /// True when the <see cref="ConvolutionWeightGradient"/> call just before, on the same images, geometry and columns,
    /// returned true: the columns hold im2col(images) already.
    /// </param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Convolve(Tensor images, ConvGeometry geometry, Tensor weights, Tensor output, Tensor columns, bool columnsHoldImages = false)
    {
        int rows = ConvolutionRows(images, geometry, columns, columnsOptional: true);
        RequireConvolutionMatrix(weights, geometry.Columns, nameof(weights));
        RequireConvolutionMatrix(output, weights.Rows, nameof(output), (long)rows * geometry.OutPixels);
        ConvolveCore(images, geometry, weights, output, columns, rows, columnsHoldImages);
    }

    /// <summary>
    /// A convolution's scatter pass, <c>images = col2im(input x weights)</c>: Conv2D's input gradient, and
    /// ConvTranspose2D's forward pass. <paramref name="images"/> is overwritten.
    /// </summary>
    /// <param name="input">(rows x OutPixels, F).</param>
    /// <param name="geometry">The convolution.</param>
    /// <param name="weights">(F, InChannels x Kernel x Kernel).</param>
    /// <param name="images">(rows, InHeight x InWidth x InChannels), channels-last.</param>
    /// <param name="columns">(rows x OutPixels, Columns) scratch, as for <see cref="Convolve"/>.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void ConvolveTransposed(Tensor input, ConvGeometry geometry, Tensor weights, Tensor images, Tensor columns)
    {
        int rows = ConvolutionRows(images, geometry, columns, columnsOptional: true);
        RequireConvolutionMatrix(weights, geometry.Columns, nameof(weights));
        RequireConvolutionMatrix(input, weights.Rows, nameof(input), (long)rows * geometry.OutPixels);
        ConvolveTransposedCore(input, geometry, weights, images, columns, rows);
    }

    /// <summary>
    /// A convolution's weight gradient, <c>weightGradient = beta * weightGradient + gradientᵀ x im2col(images)</c>.
    /// </summary>
    /// <param name="gradient">(rows x OutPixels, F): the gradient at the gather side (Conv2D's output, ConvTranspose2D's input).</param>
    /// <param name="images">(rows, InHeight x InWidth x InChannels), channels-last.</param>
    /// <param name="geometry">The convolution.</param>
    /// <param name="weightGradient">(F, InChannels x Kernel x Kernel).</param>
    /// <param name="beta">1 adds to the gradient there, 0 overwrites it.</param>
    /// <param name="columns">(rows x OutPixels, Columns) scratch, as for <see cref="Convolve"/>.</param>
    /// <returns>Whether <paramref name="columns"/> now hold im2col(images), for a <see cref="Convolve"/> on the same images.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool ConvolutionWeightGradient(Tensor gradient, Tensor images, ConvGeometry geometry, Tensor weightGradient, float beta, Tensor columns)
    {
        int rows = ConvolutionRows(images, geometry, columns, columnsOptional: true);
        RequireConvolutionMatrix(weightGradient, geometry.Columns, nameof(weightGradient));
        RequireConvolutionMatrix(gradient, weightGradient.Rows, nameof(gradient), (long)rows * geometry.OutPixels);
        return ConvolutionWeightGradientCore(gradient, images, geometry, weightGradient, beta, columns, rows);
    }

    /// <summary>
    /// Dropout: <c>y = x * keep / (1 - rate)</c>, where element i is kept when the Philox uniform at
    /// (<paramref name="seed"/>, <paramref name="stream"/>, block (<paramref name="counter"/> &lt;&lt; 28) + i / 4, lane i % 4) is at least
    /// <paramref name="rate"/>. The mask is recomputed, not stored, by <see cref="DropoutBackward"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Dropout(Tensor x, Tensor y, float rate, ulong seed, ulong stream, CounterValue counter)
    {
        RequireOwned(x, nameof(x));
        RequireOwned(y, nameof(y));
        RequireLength(x.Length, y, nameof(y));
        RequireCounter(counter);
        DropoutCore(x, y, rate, seed, stream, counter, backward: false);
    }

    /// <summary>The gradient of <see cref="Dropout"/> with the same arguments: <c>dx = dy * keep / (1 - rate)</c>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void DropoutBackward(Tensor dy, Tensor dx, float rate, ulong seed, ulong stream, CounterValue counter)
    {
        RequireOwned(dy, nameof(dy));
        RequireOwned(dx, nameof(dx));
        RequireLength(dy.Length, dx, nameof(dx));
        RequireCounter(counter);
        DropoutCore(dy, dx, rate, seed, stream, counter, backward: true);
    }

    /// <summary>
    /// Nearest-neighbour upsampling of channels-last images: each row of <paramref name="x"/> is an image of
    /// (<paramref name="height"/>, <paramref name="width"/>, channels), and each row of <paramref name="y"/> that image
    /// <paramref name="factor"/> times as high and as wide, every pixel repeated in a factor x factor block
    /// (PyTorch's <c>nn.Upsample(scale_factor=factor)</c>, mode nearest).
    /// </summary>
    public void Upsample(Tensor x, Tensor y, int height, int width, int factor)
    {
        RequireUpsample(x, y, height, width, factor);
        UpsampleCore(x, y, height, width, factor, backward: false);
    }

    /// <summary>The gradient of <see cref="Upsample"/>: each pixel of <paramref name="dx"/> is the sum of its factor x factor block of <paramref name="dy"/>.</summary>
    public void UpsampleBackward(Tensor dy, Tensor dx, int height, int width, int factor)
    {
        RequireUpsample(dx, dy, height, width, factor);
        UpsampleCore(dy, dx, height, width, factor, backward: true);
    }

    /// <summary>
    /// Writes <paramref name="source"/> (rows, w) into columns [<paramref name="offset"/>, offset + w) of
    /// <paramref name="destination"/> (rows, W), leaving its other columns: one part of a latent vector.
    /// </summary>
    public void PlaceColumns(Tensor source, Tensor destination, int offset)
    {
        RequireOwned(source, nameof(source));
        RequireOwned(destination, nameof(destination));
        if (source.Rows != destination.Rows || offset < 0 || (long)offset + source.Cols > destination.Cols)
        {
            throw new ArgumentException($"Cannot place {source} at column {offset} of {destination}.");
        }

        PlaceColumnsCore(source, destination, offset);
    }

    /// <summary>
    /// Stacks two channels-last images as channels: each of the <paramref name="pixels"/> pixels of a row of
    /// <paramref name="y"/> is that pixel's channels of <paramref name="a"/>, then of <paramref name="b"/> (Pix2Pix's
    /// discriminator sees (condition, image) so).
    /// </summary>
    public void ConcatChannels(Tensor a, Tensor b, Tensor y, int pixels)
    {
        RequireOwned(a, nameof(a));
        RequireOwned(b, nameof(b));
        RequireOwned(y, nameof(y));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        if (a.Cols % pixels != 0 || b.Cols % pixels != 0 || a.Rows != y.Rows || b.Rows != y.Rows || y.Cols != a.Cols + b.Cols)
        {
            throw new ArgumentException($"Cannot stack {a} and {b} as channels of {pixels} pixels into {y}.");
        }

        ChannelsCore(y, a, b, pixels, a.Cols / pixels, split: false);
    }

    /// <summary>
    /// The gradient of <see cref="ConcatChannels"/>: each pixel's first channels of <paramref name="dy"/> to
    /// <paramref name="da"/> and the rest to <paramref name="db"/>, either of them empty when not wanted (but not both).
    /// </summary>
    public void SplitChannels(Tensor dy, Tensor da, Tensor db, int pixels)
    {
        if (da.IsEmpty && db.IsEmpty)
        {
            throw new ArgumentException("SplitChannels needs da, db or both.");
        }

        RequireOwned(dy, nameof(dy));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        int total = dy.Cols / pixels;
        int ca = da.IsEmpty ? total - db.Cols / pixels : da.Cols / pixels;
        if (dy.Cols % pixels != 0 || ca <= 0 || ca >= total
            || (!da.IsEmpty && (da.Rows != dy.Rows || da.Cols != pixels * ca))
            || (!db.IsEmpty && (db.Rows != dy.Rows || db.Cols != pixels * (total - ca))))
        {
            throw new ArgumentException($"Cannot split {dy} of {pixels} pixels into {da} and {db}.");
        }

        if (!da.IsEmpty)
        {
            RequireOwned(da, nameof(da));
        }

        if (!db.IsEmpty)
        {
            RequireOwned(db, nameof(db));
        }

        ChannelsCore(dy, da, db, pixels, ca, split: true);
    }

    /// <summary>
    /// A categorical code from uniform draws: each value of <paramref name="draws"/> ((rows, 1), drawn in [0,
    /// <paramref name="classes"/>)) becomes its class, <c>min(floor(v), classes - 1)</c>, in place, and the class's one-hot
    /// vector is written into columns [<paramref name="offset"/>, offset + classes) of <paramref name="destination"/>.
    /// </summary>
    public void Categorical(Tensor draws, Tensor destination, int offset, int classes)
    {
        RequireOwned(draws, nameof(draws));
        RequireOwned(destination, nameof(destination));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (draws.Cols != 1 || draws.Rows != destination.Rows || offset < 0 || (long)offset + classes > destination.Cols)
        {
            throw new ArgumentException($"Cannot write the one-hot codes of {classes} classes for {draws} at column {offset} of {destination}.");
        }

        CategoricalCore(draws, destination, offset, classes);
    }

    private void RequireUpsample(Tensor small, Tensor large, int height, int width, int factor)
    {
        RequireOwned(small, nameof(small));
        RequireOwned(large, nameof(large));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        long pixels = (long)height * width;
        if (small.Cols % pixels != 0 || large.Rows != small.Rows || large.Cols != (long)small.Cols * factor * factor)
        {
            throw new ArgumentException($"Cannot upsample {small} as images of {height}x{width} by {factor} into {large}.");
        }
    }

    /// <summary>
    /// Condition's forward: each row of <paramref name="y"/> is the row of <paramref name="x"/> with the
    /// embedding of its label appended, per pixel for images of <paramref name="pixels"/> pixels
    /// (channels-last: each pixel's channels, then the embedding).
    /// </summary>
    public void ConcatEmbedding(Tensor x, Tensor labels, Tensor table, Tensor y, int pixels)
    {
        RequireOwned(x, nameof(x));
        RequireOwned(labels, nameof(labels));
        RequireOwned(table, nameof(table));
        RequireOwned(y, nameof(y));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        if (labels.Rows != x.Rows || y.Rows != x.Rows || y.Cols != x.Cols + pixels * table.Cols)
        {
            throw new ArgumentException($"Cannot append embeddings {table} for labels {labels} to {x} giving {y}.");
        }

        ConcatEmbeddingCore(x, labels, table, y, pixels);
    }

    /// <summary>
    /// InstanceNorm's forward: each row's channel c (channels-last, <paramref name="pixels"/> pixels a row) normalised
    /// over its pixels with the biased variance plus <paramref name="epsilon"/>, then, when <paramref name="scaleShift"/>
    /// (2, channels: the scales, then the shifts) is not empty, scaled and shifted.
    /// </summary>
    public void InstanceNorm(Tensor x, Tensor scaleShift, Tensor y, int pixels, float epsilon)
    {
        int channels = RequireInstanceNorm(x, scaleShift, y, pixels, epsilon);
        InstanceNormCore(x, default, scaleShift, y, pixels, channels, epsilon, InstanceNormPass.Forward);
    }

    /// <summary>
    /// InstanceNorm's backward, its statistics recomputed from <paramref name="x"/>: when <paramref name="scaleShiftGradient"/>
    /// is not empty, the scales' gradient (the sums of dy x̂, summed in <paramref name="dx"/>'s memory first) and the
    /// shifts' (the sums of dy), added when <paramref name="accumulate"/>; then the input gradient into <paramref name="dx"/>.
    /// </summary>
    public void InstanceNormBackward(Tensor dy, Tensor x, Tensor scaleShift, Tensor scaleShiftGradient, Tensor dx, int pixels, float epsilon, bool accumulate)
    {
        int channels = RequireInstanceNorm(x, scaleShift, dx, pixels, epsilon);
        RequireOwned(dy, nameof(dy));
        RequireLength(x.Length, dy, nameof(dy));
        if (!scaleShiftGradient.IsEmpty)
        {
            RequireOwned(scaleShiftGradient, nameof(scaleShiftGradient));
            RequireLength(2 * channels, scaleShiftGradient, nameof(scaleShiftGradient));
            int count = x.Rows * pixels;
            InstanceNormCore(x, dy, scaleShift, dx, pixels, channels, epsilon, InstanceNormPass.ScaleTerms);
            BiasGradient(dx.Reshape(count, channels), scaleShiftGradient.Reshape(2, channels).Slice(0, 1), accumulate);
            BiasGradient(dy.Reshape(count, channels), scaleShiftGradient.Reshape(2, channels).Slice(1, 1), accumulate);
        }

        InstanceNormCore(x, dy, scaleShift, dx, pixels, channels, epsilon, InstanceNormPass.InputGradient);
    }

    // The channels of an InstanceNorm over (rows, pixels x channels), its operands checked.
    private int RequireInstanceNorm(Tensor x, Tensor scaleShift, Tensor y, int pixels, float epsilon)
    {
        RequireOwned(x, nameof(x));
        RequireOwned(y, nameof(y));
        if (pixels <= 0 || x.Cols % pixels != 0 || y.Rows != x.Rows || y.Cols != x.Cols || !(epsilon > 0f) || !float.IsFinite(epsilon))
        {
            throw new ArgumentException($"Cannot instance-normalise {x} of {pixels} pixels a row into {y} (epsilon {epsilon}).");
        }

        int channels = x.Cols / pixels;
        if (!scaleShift.IsEmpty)
        {
            RequireOwned(scaleShift, nameof(scaleShift));
            RequireLength(2 * channels, scaleShift, nameof(scaleShift));
        }

        return channels;
    }

    /// <summary>What an <see cref="InstanceNormCore"/> launch computes, per (row, channel), from that channel's mean and deviation over the row's pixels.</summary>
    protected enum InstanceNormPass
    {
        /// <summary><c>y = scale x̂ + shift</c> (x̂ alone without scale and shift).</summary>
        Forward,

        /// <summary><c>y = dy x̂</c>, the scales' gradient terms.</summary>
        ScaleTerms,

        /// <summary><c>y = dx = (1 / σ) (g - mean(g) - x̂ mean(g x̂))</c>, <c>g = dy scale</c>, means over the pixels.</summary>
        InputGradient,
    }

    /// <summary>
    /// PReLU's forward: <c>y = z &gt; 0 ? z : a[c] z</c>, c the element's channel (channels-last: its index modulo
    /// <paramref name="channels"/>; one slope when <paramref name="channels"/> is 1).
    /// </summary>
    public void PRelu(Tensor z, Tensor slopes, Tensor y, int channels)
    {
        RequirePRelu(z, slopes, y, channels);
        PReluCore(z, slopes, y, channels, PReluPass.Forward);
    }

    /// <summary>
    /// PReLU's backward: the slopes' gradient <c>sum of dy z over z &lt;= 0</c> per channel into
    /// <paramref name="slopeGradient"/> (when not empty; added when <paramref name="accumulate"/>), its terms summed in
    /// <paramref name="dz"/>'s memory first; then <c>dz = dy (z &gt; 0 ? 1 : a[c])</c>.
    /// </summary>
    public void PReluBackward(Tensor dy, Tensor z, Tensor slopes, Tensor slopeGradient, Tensor dz, int channels, bool accumulate)
    {
        RequirePRelu(z, slopes, dz, channels);
        RequireOwned(dy, nameof(dy));
        RequireLength(z.Length, dy, nameof(dy));
        if (!slopeGradient.IsEmpty)
        {
            RequireOwned(slopeGradient, nameof(slopeGradient));
            RequireLength(slopes.Length, slopeGradient, nameof(slopeGradient));
            var terms = dz.Reshape((int)(dz.Length / channels), channels);
            PReluCore(z, dy, terms, channels, PReluPass.SlopeTerms);
            BiasGradient(terms, slopeGradient.Reshape(1, channels), accumulate);
        }

        PReluCore(z, slopes, dz, channels, PReluPass.InputGradient, dy);
    }

    private void RequirePRelu(Tensor z, Tensor slopes, Tensor y, int channels)
    {
        RequireOwned(z, nameof(z));
        RequireOwned(slopes, nameof(slopes));
        RequireOwned(y, nameof(y));
        if (channels <= 0 || slopes.Length != channels || z.Length % channels != 0 || y.Length != z.Length)
        {
            throw new ArgumentException($"Cannot apply PReLU with slopes {slopes} ({channels} channels) to {z} into {y}.");
        }
    }

    /// <summary>What a <see cref="PReluCore"/> launch computes, elementwise.</summary>
    protected enum PReluPass
    {
        /// <summary><c>y = z &gt; 0 ? z : a[c] z</c>.</summary>
        Forward,

        /// <summary><c>y = z &lt;= 0 ? dy z : 0</c> (the slopes' terms), <c>dy</c> in the second operand.</summary>
        SlopeTerms,

        /// <summary><c>y = z &gt; 0 ? dy : a[c] dy</c>, <c>dy</c> in <c>gradient</c>.</summary>
        InputGradient,
    }

    /// <summary>
    /// The reparameterisation trick: <c>z = mean + exp(logVariance / 2) * noise</c>, element by element, a draw of
    /// N(mean, exp(logVariance)) from standard normal <paramref name="noise"/> whose gradient reaches both statistics
    /// (a VAE's or an adversarial autoencoder's encoder, StackGAN's conditioning augmentation). All four tensors have
    /// the same element count; <paramref name="z"/> may be <paramref name="noise"/> itself.
    /// </summary>
    public void Reparameterize(Tensor mean, Tensor logVariance, Tensor noise, Tensor z)
    {
        RequireReparameterize(mean, logVariance, noise, z, nameof(z));
        ReparameterizeCore(mean, logVariance, noise, z, default, default, accumulate: false);
    }

    /// <summary>
    /// The gradient of <see cref="Reparameterize"/> from <paramref name="dz"/>: <c>dMean = dz</c> and
    /// <c>dLogVariance = dz * noise * exp(logVariance / 2) / 2</c>, written, or added to what is there when
    /// <paramref name="accumulate"/> (a KL term's gradient already in them, say).
    /// </summary>
    public void ReparameterizeBackward(Tensor dz, Tensor logVariance, Tensor noise, Tensor dMean, Tensor dLogVariance, bool accumulate = false)
    {
        RequireReparameterize(dMean, logVariance, noise, dz, nameof(dz));
        RequireOwned(dLogVariance, nameof(dLogVariance));
        RequireLength(dz.Length, dLogVariance, nameof(dLogVariance));
        ReparameterizeCore(dz, logVariance, noise, default, dMean, dLogVariance, accumulate);
    }

    private void RequireReparameterize(Tensor mean, Tensor logVariance, Tensor noise, Tensor z, string zName)
    {
        RequireOwned(mean, nameof(mean));
        RequireOwned(logVariance, nameof(logVariance));
        RequireOwned(noise, nameof(noise));
        RequireOwned(z, zName);
        RequireLength(mean.Length, logVariance, nameof(logVariance));
        RequireLength(mean.Length, noise, nameof(noise));
        RequireLength(mean.Length, z, zName);
    }

    /// <summary>
    /// An image pool, as CycleGAN's discriminators see generated images (Shrivastava et al. 2017; Zhu et al.'s
    /// <c>ImagePool</c>): each row of <paramref name="images"/> in turn, while <paramref name="pool"/> holds fewer than
    /// its rows, is copied into the pool's next row and kept; once the pool is full, the row is swapped with pool row
    /// <c>min(floor(draws[r, 1] P), P - 1)</c> when <c>draws[r, 0] &gt; 0.5</c> (the pool keeps the new image, the batch gets
    /// the old one), and kept otherwise. <paramref name="draws"/> is (rows, 2), uniform in [0, 1); <paramref name="filled"/>,
    /// a (1, 1) count, is how many rows the pool holds, and grows by the rows taken in.
    /// </summary>
    public void ImagePool(Tensor images, Tensor pool, Tensor draws, Tensor filled)
    {
        RequireOwned(images, nameof(images));
        RequireOwned(pool, nameof(pool));
        RequireOwned(draws, nameof(draws));
        RequireOwned(filled, nameof(filled));
        if (pool.Cols != images.Cols || draws.Rows != images.Rows || draws.Cols != 2 || filled.Length != 1)
        {
            throw new ArgumentException($"Cannot pool images {images} with {pool}: the pool's rows must be as wide as the images', the draws (rows, 2) (got {draws}), the count one value (got {filled}).");
        }

        ImagePoolCore(images, pool, draws, filled);
    }

    /// <summary>
    /// ConditionMultiply's forward: <c>y[r, j] = x[r, j] * table[label r, j]</c>, <paramref name="table"/> (classes, features).
    /// </summary>
    public void MultiplyEmbedding(Tensor x, Tensor labels, Tensor table, Tensor y)
    {
        RequireOwned(x, nameof(x));
        RequireOwned(labels, nameof(labels));
        RequireOwned(table, nameof(table));
        RequireOwned(y, nameof(y));
        if (labels.Rows != x.Rows || labels.Cols != 1 || y.Rows != x.Rows || y.Cols != x.Cols || table.Cols != x.Cols)
        {
            throw new ArgumentException($"Cannot multiply {x} by embeddings {table} for labels {labels} into {y}.");
        }

        MultiplyEmbeddingCore(x, labels, table, y);
    }

    /// <summary>
    /// The gradient of <see cref="MultiplyEmbedding"/>: <c>dx = dy * table[label]</c> (when <paramref name="dx"/> is not
    /// empty) and, into <paramref name="tableGradient"/> (when not empty; added when <paramref name="accumulate"/>),
    /// <c>dy * x</c> summed over the rows of each label, in row order.
    /// </summary>
    public void MultiplyEmbeddingBackward(Tensor dy, Tensor x, Tensor labels, Tensor table, Tensor tableGradient, Tensor dx, bool accumulate)
    {
        RequireOwned(dy, nameof(dy));
        RequireOwned(x, nameof(x));
        RequireOwned(labels, nameof(labels));
        RequireOwned(table, nameof(table));
        if (x.Rows != dy.Rows || x.Cols != dy.Cols || labels.Rows != dy.Rows || table.Cols != dy.Cols)
        {
            throw new ArgumentException($"Cannot backpropagate {dy} through the product of {x} and embeddings {table} for labels {labels}.");
        }

        if (!tableGradient.IsEmpty)
        {
            RequireOwned(tableGradient, nameof(tableGradient));
            RequireLength(table.Length, tableGradient, nameof(tableGradient));
        }

        if (!dx.IsEmpty)
        {
            RequireOwned(dx, nameof(dx));
            RequireLength(dy.Length, dx, nameof(dx));
        }

        MultiplyEmbeddingBackwardCore(dy, x, labels, table, tableGradient, dx, accumulate);
    }

    /// <summary>
    /// The gradient of <see cref="ConcatEmbedding"/>: the embedding part of <paramref name="dy"/> summed
    /// into the rows of <paramref name="tableGradient"/> (when not empty; added when <paramref name="accumulate"/>),
    /// the rest copied to <paramref name="dx"/> (when not empty).
    /// </summary>
    public void EmbeddingBackward(Tensor dy, Tensor labels, Tensor tableGradient, Tensor dx, int pixels, bool accumulate)
    {
        RequireOwned(dy, nameof(dy));
        RequireOwned(labels, nameof(labels));
        if (!tableGradient.IsEmpty)
        {
            RequireOwned(tableGradient, nameof(tableGradient));
        }

        if (!dx.IsEmpty)
        {
            RequireOwned(dx, nameof(dx));
        }

        EmbeddingBackwardCore(dy, labels, tableGradient, dx, pixels, accumulate);
    }

    /// <summary>
    /// BatchNorm's statistics per column of <paramref name="x"/> (rows, channels). Training: the batch
    /// mean and 1 / sqrt(biased variance + epsilon) go to <paramref name="saved"/>, and the running
    /// statistics (mean, then variance, in <paramref name="running"/>) move towards the batch's by
    /// <paramref name="momentum"/>, with the unbiased variance, as PyTorch does. Evaluation: the running
    /// statistics go to <paramref name="saved"/> instead. Columns are summed in a fixed order (deterministic).
    /// </summary>
    public void BatchNormStatistics(Tensor x, Tensor saved, Tensor running, float momentum, float epsilon, bool training)
    {
        RequireOwned(x, nameof(x));
        RequireOwned(saved, nameof(saved));
        RequireOwned(running, nameof(running));
        if (saved.Length < 2 * x.Cols || running.Length != 2 * x.Cols)
        {
            throw new ArgumentException($"BatchNorm over {x} needs saved statistics of at least {2 * x.Cols} and running statistics of {2 * x.Cols} floats.");
        }

        BatchNormStatisticsCore(x, saved, running, momentum, epsilon, training);
    }

    /// <summary>
    /// BatchNorm's input gradient: <c>dx = gamma / std * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n)</c>,
    /// with the mean, 1 / std and both sums read from <paramref name="saved"/> (four rows of channels)
    /// and gamma the first row of <paramref name="scaleShift"/>.
    /// </summary>
    public void BatchNormInputGradient(Tensor dy, Tensor x, Tensor saved, Tensor scaleShift, Tensor dx)
    {
        RequireOwned(dy, nameof(dy));
        RequireOwned(x, nameof(x));
        RequireOwned(saved, nameof(saved));
        RequireOwned(scaleShift, nameof(scaleShift));
        RequireOwned(dx, nameof(dx));
        RequireLength(dy.Length, x, nameof(x));
        RequireLength(dy.Length, dx, nameof(dx));
        BatchNormInputGradientCore(dy, x, saved, scaleShift, dx);
    }

    /// <summary>
    /// Whether calls only queue work (a GPU) rather than finishing it before they return (the CPU). Reading
    /// results back then waits for the device, so callers read flags and statistics less often.
    /// </summary>
    public virtual bool IsAsynchronous => false;

    /// <summary>Waits until all queued work has finished, side branches included (a no-op on the CPU).</summary>
    public void Synchronize()
    {
        JoinBranchesFor(nameof(Synchronize));
        SynchronizeCore();
    }

    /// <summary>Waits for the main line (side branches have joined it). Nothing to do on the CPU.</summary>
    protected virtual void SynchronizeCore()
    {
    }

    /// <summary>A new counter holding <paramref name="value"/>; see <see cref="DeviceCounter"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public DeviceCounter CreateCounter(ulong value = 0)
    {
        int slot;
        lock (_counterGate)
        {
            if (_freeCounterSlots.Count > 0)
            {
                slot = _freeCounterSlots.Pop();
            }
            else if (_nextCounterSlot < MaxCounters)
            {
                slot = _nextCounterSlot++;
            }
            else
            {
                throw new InvalidOperationException($"The {Name} backend holds at most {MaxCounters} counters at a time; dispose those no longer used.");
            }
        }

        var counter = new DeviceCounter(this, slot, value);
        lock (_counterGate)
        {
            _counters.Add(counter);
        }

        SetCounterCore(counter, value);
        return counter;
    }

    /// <summary>Sets <paramref name="counter"/> to <paramref name="value"/>, in order with the queued work. Not allowed while capturing.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void SetCounter(DeviceCounter counter, ulong value)
    {
        RequireCounter(counter);
        if (IsCapturing)
        {
            throw new InvalidOperationException("A counter cannot be set inside a captured step (a replay would reset it); set it before, or add to it.");
        }

        counter.Value = value;
        SetCounterCore(counter, value);
    }

    /// <summary>Adds <paramref name="delta"/> to <paramref name="counter"/>, in order with the queued work (recorded when capturing).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void AddToCounter(DeviceCounter counter, ulong delta)
    {
        RequireCounter(counter);
        counter.Value += delta;
        AddToCounterCore(counter, delta);
    }

    /// <summary>
    /// Adds to up to <see cref="MaxCountersPerAdd"/> counters at once (one launch on a GPU), in order with the
    /// queued work; a counter may not appear twice.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void AddToCounters(ReadOnlySpan<(DeviceCounter Counter, ulong Delta)> increments)
    {
        if (increments.Length > MaxCountersPerAdd)
        {
            throw new ArgumentException($"At most {MaxCountersPerAdd} counters at once, not {increments.Length}.", nameof(increments));
        }

        for (int i = 0; i < increments.Length; i++)
        {
            RequireCounter(increments[i].Counter);
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(increments[j].Counter, increments[i].Counter))
                {
                    throw new ArgumentException("A counter appears twice.", nameof(increments));
                }
            }
        }

        foreach (var (counter, delta) in increments)
        {
            counter.Value += delta;
        }

        AddToCountersCore(increments);
    }

    /// <summary>Most counters <see cref="AddToCounters"/> takes at once.</summary>
    public const int MaxCountersPerAdd = 4;

    /// <summary>See <see cref="AddToCounters"/>; the host copies are already moved. By default one <see cref="AddToCounterCore"/> each.</summary>
    protected virtual void AddToCountersCore(ReadOnlySpan<(DeviceCounter Counter, ulong Delta)> increments)
    {
        foreach (var (counter, delta) in increments)
        {
            AddToCounterCore(counter, delta);
        }
    }

    /// <summary>Whether <see cref="Capture"/> works on this backend (CUDA graphs).</summary>
    public virtual bool SupportsCapture => false;

    /// <summary>
    /// Whether the convolution passes (<see cref="Convolve"/> and the others) need the caller's column matrix. A backend
    /// that runs them without one (the CPU) takes an empty tensor there, and networks then allocate no scratch for it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public virtual bool ConvolutionNeedsColumns => true;

    /// <summary>Whether a <see cref="Capture"/> is recording right now.</summary>
    public bool IsCapturing { get; private set; }

    /// <summary>
    /// Records the backend calls <paramref name="body"/> makes, without running them, as a graph to replay
    /// with <see cref="StepGraph.Launch"/>. Addresses and shapes are fixed at capture; per-step numbers
    /// must come from counters (<see cref="CounterValue"/>), which the body may add to but not set.
    /// Nothing may wait for the device inside (no downloads).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public StepGraph Capture(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!SupportsCapture)
        {
            throw new NotSupportedException($"The {Name} backend cannot capture steps as graphs; run them directly.");
        }

        if (IsCapturing)
        {
            throw new InvalidOperationException("A capture is already recording.");
        }

        DeviceCounter[] counters;
        lock (_counterGate)
        {
            counters = [.. _counters];
        }

        var before = counters.Select(c => c.Value).ToArray();
        JoinBranchesFor(nameof(Capture));
        IsCapturing = true;
        BeginCaptureCore();
        bool recorded = false;
        try
        {
            body();
            if (InBranch)
            {
                throw new InvalidOperationException("The captured step left a side branch open: call EndBranch before the step ends.");
            }

            // The graph must end where it began, on the main line.
            JoinBranches();
            recorded = true;
        }
        finally
        {
            if (!recorded)
            {
                // The backend's abort rejoins its lines as best it can; the flags start afresh.
                InBranch = false;
                _branchPending = false;
                AbortCaptureCore();
                IsCapturing = false;
                for (int i = 0; i < counters.Length; i++)
                {
                    counters[i].Value = before[i];
                }
            }
        }

        // The body moved the host copies as if it had run; a replay moves them, so put them back.
        var increments = new List<(DeviceCounter, ulong)>();
        for (int i = 0; i < counters.Length; i++)
        {
            if (counters[i].Value != before[i])
            {
                increments.Add((counters[i], counters[i].Value - before[i]));
                counters[i].Value = before[i];
            }
        }

        try
        {
            return EndCaptureCore(increments);
        }
        finally
        {
            IsCapturing = false;
        }
    }

    /// <summary>Starts recording (CUDA: stream capture).</summary>
    protected virtual void BeginCaptureCore() => throw new NotSupportedException();

    /// <summary>Stops recording and makes the replayable graph.</summary>
    protected virtual StepGraph EndCaptureCore(IEnumerable<(DeviceCounter Counter, ulong Delta)> increments) => throw new NotSupportedException();

    /// <summary>Stops a recording that failed, discarding it.</summary>
    protected virtual void AbortCaptureCore()
    {
    }

    /// <summary>Writes a counter's value where kernels read it (the host copy is already set). Nothing to do on the CPU.</summary>
    protected virtual void SetCounterCore(DeviceCounter counter, ulong value)
    {
    }

    /// <summary>Adds to a counter where kernels read it (the host copy is already moved). Nothing to do on the CPU.</summary>
    protected virtual void AddToCounterCore(DeviceCounter counter, ulong delta)
    {
    }

    /// <summary>Most counters alive at once.</summary>
    public const int MaxCounters = 256;

    private readonly Lock _counterGate = new();
    private readonly List<DeviceCounter> _counters = [];
    private readonly Stack<int> _freeCounterSlots = new();
    private int _nextCounterSlot;

    internal void ReleaseCounter(DeviceCounter counter)
    {
        lock (_counterGate)
        {
            if (_counters.Remove(counter))
            {
                _freeCounterSlots.Push(counter.Slot);
            }
        }
    }

    private void RequireCounter(DeviceCounter counter)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ObjectDisposedException.ThrowIf(counter.Disposed, counter);
        if (!ReferenceEquals(counter.Backend, this))
        {
            throw new ArgumentException($"The counter belongs to the {counter.Backend.Name} backend, not to this {Name} backend.", nameof(counter));
        }
    }

    private void RequireCounter(CounterValue value)
    {
        if (value.Counter is not null)
        {
            RequireCounter(value.Counter);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>See <see cref="Upload"/>.</summary>
    protected abstract void UploadCore(ReadOnlySpan<float> source, Tensor destination);

    /// <summary>See <see cref="Download"/>.</summary>
    protected abstract void DownloadCore(Tensor source, Span<float> destination);

    /// <summary>See <see cref="Fill"/>.</summary>
    protected abstract void FillCore(Tensor tensor, float value);

    /// <summary>See <see cref="Copy"/>.</summary>
    protected abstract void CopyCore(Tensor source, Tensor destination);

    /// <summary>See <see cref="Gemm"/>.</summary>
    protected abstract void GemmCore(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float beta);

    /// <summary>See <see cref="Launch"/>.</summary>
    protected abstract void LaunchCore(FusedKernel kernel, in KernelArgs args);

    /// <summary>See <see cref="AddBias"/>.</summary>
    protected abstract void AddBiasCore(Tensor y, Tensor bias);

    /// <summary>See <see cref="BiasGradient"/>.</summary>
    protected abstract void BiasGradientCore(Tensor dz, Tensor db, bool accumulate);

    /// <summary>See <see cref="Interpolate"/>.</summary>
    protected abstract void InterpolateCore(Tensor real, Tensor fake, Tensor output, ulong seed, ulong stream, CounterValue counter);

    /// <summary>See <see cref="GradientPenalty"/>.</summary>
    protected abstract void GradientPenaltyCore(Tensor g, float weight, Tensor penaltyGradient, Tensor stats);

    /// <summary>See <see cref="SoftmaxCrossEntropy"/>.</summary>
    protected abstract void SoftmaxCrossEntropyCore(Tensor logits, Tensor labels, Tensor gradient, in LossSegment segment, bool accumulate);

    /// <summary>See <see cref="Adam"/>.</summary>
    protected abstract void AdamCore(Tensor parameters, Tensor gradients, Tensor m, Tensor v, AdamSettings settings, CounterValue step, Tensor nonFinite, Tensor learningRateScale);

    /// <summary>See <see cref="RmsProp"/>.</summary>
    protected abstract void RmsPropCore(Tensor parameters, Tensor gradients, Tensor squareAverage, RmsPropSettings settings, Tensor nonFinite, Tensor learningRateScale);

    /// <summary>See <see cref="Clamp"/>.</summary>
    protected abstract void ClampCore(Tensor tensor, float limit);

    /// <summary><see cref="ImagePool"/>, its operands checked.</summary>
    protected abstract void ImagePoolCore(Tensor images, Tensor pool, Tensor draws, Tensor filled);

    /// <summary>
    /// <see cref="Reparameterize"/> (<paramref name="z"/> given: <paramref name="first"/> is the mean) or its gradient
    /// (<paramref name="dMean"/> and <paramref name="dLogVariance"/> given: <paramref name="first"/> is dz); operands checked.
    /// </summary>
    protected abstract void ReparameterizeCore(Tensor first, Tensor logVariance, Tensor noise, Tensor z, Tensor dMean, Tensor dLogVariance, bool accumulate);

    /// <summary>See <see cref="RandomNormal"/>.</summary>
    protected abstract void RandomNormalCore(Tensor tensor, ulong seed, ulong stream, CounterValue counter);

    /// <summary>See <see cref="RandomUniform"/>.</summary>
    protected abstract void RandomUniformCore(Tensor tensor, float low, float high, ulong seed, ulong stream, CounterValue counter);

    /// <summary>See <see cref="CreateImageSet"/>.</summary>
    protected abstract ImageSet CreateImageSetCore(ReadOnlyMemory<byte> pixels, int count, int pixelsPerImage, ReadOnlyMemory<byte> labels);

    /// <summary>See <see cref="GatherImages(ImageSet, CounterValue, Tensor, PixelScale)"/>.</summary>
    protected abstract void GatherImagesCore(ImageSet images, CounterValue position, Tensor destination, PixelScale scale);

    /// <summary>See <see cref="Im2Col"/>; <paramref name="rows"/> images.</summary>
    protected abstract void Im2ColCore(Tensor images, ConvGeometry geometry, Tensor columns, int rows);

    /// <summary>See <see cref="Convolve"/>; <paramref name="rows"/> images. This implementation is im2col, then one GEMM.</summary>
    protected virtual void ConvolveCore(Tensor images, ConvGeometry geometry, Tensor weights, Tensor output, Tensor columns, int rows, bool columnsHoldImages)
    {
        if (!columnsHoldImages)
        {
            Im2ColCore(images, geometry, columns, rows);
        }

        GemmCore(columns, false, weights, true, output, 0f);
    }

    /// <summary>See <see cref="ConvolveTransposed"/>; <paramref name="rows"/> images. This implementation is one GEMM, then col2im.</summary>
    protected virtual void ConvolveTransposedCore(Tensor input, ConvGeometry geometry, Tensor weights, Tensor images, Tensor columns, int rows)
    {
        GemmCore(input, false, weights, false, columns, 0f);
        Col2ImCore(columns, geometry, images, rows);
    }

    /// <summary>See <see cref="ConvolutionWeightGradient"/>; <paramref name="rows"/> images. This implementation is im2col, then one GEMM.</summary>
    protected virtual bool ConvolutionWeightGradientCore(Tensor gradient, Tensor images, ConvGeometry geometry, Tensor weightGradient, float beta, Tensor columns, int rows)
    {
        Im2ColCore(images, geometry, columns, rows);
        GemmCore(gradient, true, columns, false, weightGradient, beta);
        return true;
    }

    /// <summary>See <see cref="Col2Im"/>; <paramref name="rows"/> images.</summary>
    protected abstract void Col2ImCore(Tensor columns, ConvGeometry geometry, Tensor images, int rows);

    /// <summary>See <see cref="Dropout"/> and <see cref="DropoutBackward"/> (the same mask both ways).</summary>
    protected abstract void DropoutCore(Tensor source, Tensor destination, float rate, ulong seed, ulong stream, CounterValue counter, bool backward);

    /// <summary>See <see cref="ConcatEmbedding"/>.</summary>
    protected abstract void ConcatEmbeddingCore(Tensor x, Tensor labels, Tensor table, Tensor y, int pixels);

    /// <summary>
    /// <see cref="ConcatChannels"/> (<paramref name="split"/> false: <paramref name="a"/> and <paramref name="b"/> into
    /// <paramref name="stacked"/>) or <see cref="SplitChannels"/> (true: <paramref name="stacked"/> into those of
    /// <paramref name="a"/> and <paramref name="b"/> that are not empty); each pixel's first <paramref name="firstChannels"/>
    /// channels are a's. Arguments checked.
    /// </summary>
    protected abstract void ChannelsCore(Tensor stacked, Tensor a, Tensor b, int pixels, int firstChannels, bool split);

    /// <summary>See <see cref="PlaceColumns"/>; arguments checked.</summary>
    protected abstract void PlaceColumnsCore(Tensor source, Tensor destination, int offset);

    /// <summary>See <see cref="Categorical"/>; arguments checked.</summary>
    protected abstract void CategoricalCore(Tensor draws, Tensor destination, int offset, int classes);

    /// <summary>Forward: <paramref name="source"/> (small) to <paramref name="destination"/> (large); backward: block sums of <paramref name="source"/> (large) to <paramref name="destination"/> (small). Arguments checked.</summary>
    protected abstract void UpsampleCore(Tensor source, Tensor destination, int height, int width, int factor, bool backward);

    /// <summary>One pass of InstanceNorm (<paramref name="pass"/>) over (rows, <paramref name="pixels"/> x <paramref name="channels"/>); arguments checked, <paramref name="dy"/> empty for the forward pass, <paramref name="scaleShift"/> empty without affine.</summary>
    protected abstract void InstanceNormCore(Tensor x, Tensor dy, Tensor scaleShift, Tensor y, int pixels, int channels, float epsilon, InstanceNormPass pass);

    /// <summary>One elementwise pass of PReLU (<paramref name="pass"/>); <paramref name="second"/> holds the slopes, or dy for the slopes' terms. Arguments checked.</summary>
    protected abstract void PReluCore(Tensor z, Tensor second, Tensor y, int channels, PReluPass pass, Tensor gradient = default);

    /// <summary>See <see cref="MultiplyEmbedding"/>; arguments checked.</summary>
    protected abstract void MultiplyEmbeddingCore(Tensor x, Tensor labels, Tensor table, Tensor y);

    /// <summary>See <see cref="MultiplyEmbeddingBackward"/>; arguments checked.</summary>
    protected abstract void MultiplyEmbeddingBackwardCore(Tensor dy, Tensor x, Tensor labels, Tensor table, Tensor tableGradient, Tensor dx, bool accumulate);

    /// <summary>See <see cref="EmbeddingBackward"/>.</summary>
    protected abstract void EmbeddingBackwardCore(Tensor dy, Tensor labels, Tensor tableGradient, Tensor dx, int pixels, bool accumulate);

    /// <summary>See <see cref="BatchNormStatistics"/>.</summary>
    protected abstract void BatchNormStatisticsCore(Tensor x, Tensor saved, Tensor running, float momentum, float epsilon, bool training);

    /// <summary>See <see cref="BatchNormInputGradient"/>.</summary>
    protected abstract void BatchNormInputGradientCore(Tensor dy, Tensor x, Tensor saved, Tensor scaleShift, Tensor dx);

    /// <summary>See <see cref="GatherLabels(ImageSet, CounterValue, Tensor)"/>.</summary>
    protected abstract void GatherLabelsCore(ImageSet images, CounterValue position, Tensor destination);

    /// <summary>The images in <paramref name="images"/>, once the im2col matrix <paramref name="columns"/> is checked to fit them.</summary>
    private int ConvolutionRows(Tensor images, ConvGeometry geometry, Tensor columns, bool columnsOptional = false)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry.InChannels < 1 || geometry.InHeight < 1 || geometry.InWidth < 1 || geometry.OutHeight < 1 || geometry.OutWidth < 1 ||
            geometry.Kernel < 1 || geometry.Stride < 1 || geometry.PadTop < 0 || geometry.PadLeft < 0)
        {
            throw new ArgumentException($"{geometry} is not a convolution: sizes, kernel and stride must be at least 1, and padding at least 0.", nameof(geometry));
        }

        RequireOwned(images, nameof(images));
        int rows = images.Length / geometry.InFeatures;
        if (columns.IsEmpty && columnsOptional && !ConvolutionNeedsColumns)
        {
            return (long)rows * geometry.InFeatures == images.Length
                ? rows
                : throw new ArgumentException($"Images {images} do not fit {geometry}: {geometry.InFeatures} values an image.", nameof(images));
        }

        RequireOwned(columns, nameof(columns));
        if ((long)rows * geometry.InFeatures != images.Length || columns.Length != (long)rows * geometry.OutPixels * geometry.Columns)
        {
            throw new ArgumentException($"Images {images} and im2col columns {columns} do not fit {geometry}: expected (rows x {geometry.OutPixels}, {geometry.Columns}).");
        }

        return rows;
    }

    // A convolution's (rows, cols) operand; rows < 0 leaves them free.
    private void RequireConvolutionMatrix(Tensor tensor, int cols, string name, long rows = -1)
    {
        RequireOwned(tensor, name);
        if (tensor.Cols != cols || (rows >= 0 && tensor.Rows != rows))
        {
            throw new ArgumentException($"{tensor} does not fit the convolution: expected {(rows >= 0 ? rows.ToString(CultureInfo.InvariantCulture) : "any")} rows and {cols} columns.", name);
        }
    }

    private void RequireOwned(Tensor tensor, string name)
    {
        if (tensor.IsEmpty)
        {
            throw new ArgumentException("The tensor is empty (default).", name);
        }

        if (!ReferenceEquals(tensor.Buffer.Backend, this))
        {
            throw new ArgumentException(
                $"The tensor belongs to the {tensor.Buffer.Backend.Name} backend, not to this {Name} backend.", name);
        }
    }

    private static void RequireLength(int length, Tensor tensor, string name)
    {
        if (length != tensor.Length)
        {
            throw new ArgumentException($"Length {length} does not match tensor {tensor} ({tensor.Length} elements).", name);
        }
    }
}
