using GanDsl.Backends;
using GanDsl.Randomness;

namespace GanDsl;

/// <summary>
/// Base of every generated network. Owns one contiguous parameter buffer and one gradient buffer
/// with the same layout (so zeroing is one fill and the optimizer one pass), and one activation arena
/// sized for a maximum batch, so a training step allocates nothing.
/// </summary>
/// <remarks>
/// The source generator derives a partial class from this one and emits <see cref="ForwardCore"/>,
/// <see cref="BackwardCore"/>, named parameter views and the fused kernels they launch.
/// </remarks>
public abstract class Network : IDisposable
{
    private readonly DeviceBuffer _parameters;
    private readonly DeviceBuffer _gradients;
    private readonly DeviceBuffer? _state;
    private DeviceBuffer? _saved;
    private int _context;
    private readonly long[] _slotOffsets;
    private DeviceBuffer? _activations;
    private DeviceBuffer? _activationGradients;
    private DeviceBuffer? _scratch;
    private DeviceBuffer? _labels;
    private DeviceBuffer? _tangents;
    private DeviceBuffer? _zeros;
    private bool _disposed;
    private readonly Network? _sharedWith;
    private readonly List<Network> _sharers = [];

    /// <summary>Allocates parameters on <paramref name="backend"/> and initialises them from <paramref name="seed"/>.</summary>
    protected Network(Backend backend, NetworkLayout layout, ulong seed)
        : this(backend, layout, seed, null)
    {
    }

    /// <summary>
    /// Allocates parameters on <paramref name="backend"/> and initialises them from <paramref name="seed"/>, the layers
    /// shared (<see cref="SharedWithAttribute"/>) using <paramref name="sharedWith"/>'s.
    /// </summary>
    /// <param name="backend">Where the network's memory lives and its math runs.</param>
    /// <param name="layout">The generated layout.</param>
    /// <param name="seed">Seed of the initialisation of the parameters the network owns.</param>
    /// <param name="sharedWith">The network whose parameters the shared layers use; null when the layout shares none.</param>
    protected Network(Backend backend, NetworkLayout layout, ulong seed, Network? sharedWith)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(layout);
        CheckSharing(backend, layout, sharedWith);
        Backend = backend;
        Layout = layout;
        _sharedWith = sharedWith;
        _parameters = backend.Allocate(layout.ParameterCount);
        _gradients = backend.Allocate(layout.ParameterCount + layout.SharedParameterCount);
        _state = layout.StateCount > 0 ? backend.Allocate(layout.StateCount) : null;
        _saved = layout.SavedLength > 0 ? backend.Allocate(layout.SavedLength) : null;
        _slotOffsets = new long[layout.ActivationWidths.Count + 1];
        for (int i = 0; i < layout.ActivationWidths.Count; i++)
        {
            _slotOffsets[i + 1] = _slotOffsets[i] + layout.ActivationWidths[i];
        }

        _heads = new NetworkHead[layout.Heads.Count];
        for (int h = 0; h < _heads.Length; h++)
        {
            _heads[h] = new NetworkHead(this, h, layout.Heads[h]);
        }

        InitializeParameters(seed);
        sharedWith?._sharers.Add(this);
    }

    // The owner a layout that shares layers needs: given, of the type the layout names, on the same backend, alive, and
    // holding parameters of the same shapes where the shared ones are (a layout generated against another version fails here).
    private static void CheckSharing(Backend backend, NetworkLayout layout, Network? owner)
    {
        if (layout.SharedWith is null)
        {
            if (owner is not null)
            {
                throw new ArgumentException($"{layout.Name} shares no layers, so it takes no network to share them with.", nameof(owner));
            }

            return;
        }

        if (owner is null)
        {
            throw new ArgumentNullException(nameof(owner), $"{layout.Name} shares layers with {layout.SharedWith}: pass the {layout.SharedWith} whose parameters they use.");
        }

        ObjectDisposedException.ThrowIf(owner._disposed, owner);
        if (owner.Layout.Name != layout.SharedWith || owner.Layout.SharedWith is not null)
        {
            throw new ArgumentException($"{layout.Name} shares layers with {layout.SharedWith}, not with {owner.Layout.Name}.", nameof(owner));
        }

        if (!ReferenceEquals(owner.Backend, backend))
        {
            throw new ArgumentException($"{layout.Name} and the {owner.Layout.Name} it shares layers with must live on the same backend ({owner.Backend.Name} there, {backend.Name} here).", nameof(owner));
        }

        var mine = layout.Parameters.Where(p => p.Shared).ToList();
        var theirs = owner.Layout.Parameters.Where(p => p.Offset >= layout.SharedOffset && p.Offset < layout.SharedOffset + layout.SharedParameterCount).ToList();
        if (mine.Count != theirs.Count || mine.Zip(theirs).Any(pair => pair.First.Offset != pair.Second.Offset || !pair.First.Shape.SequenceEqual(pair.Second.Shape)))
        {
            throw new ArgumentException($"{layout.Name}'s shared layers do not match {owner.Layout.Name}'s parameters: the two were generated from different declarations; rebuild.", nameof(owner));
        }
    }

    /// <summary>The network whose parameters this one's shared layers use (<see cref="SharedWithAttribute"/>), or null.</summary>
    public Network? SharedWith => _sharedWith;

    /// <summary>The networks that use some of this one's parameters (each built with it as <see cref="SharedWith"/>), while they live.</summary>
    public IReadOnlyList<Network> Sharers => _sharers;

    /// <summary>
    /// This network's gradients for the parameters it shares with <see cref="SharedWith"/> (laid out as they are there); empty
    /// when it shares none. Its backward passes write them here, apart from the owner's, so either network may go first;
    /// <see cref="AddSharedGradientsToOwner"/> adds them to the owner's.
    /// </summary>
    public Tensor SharedGradients => Layout.SharedParameterCount > 0 ? _gradients.View(Layout.ParameterCount, 1, checked((int)Layout.SharedParameterCount)) : default;

    /// <summary>
    /// Adds <see cref="SharedGradients"/> to <see cref="SharedWith"/>'s gradients of the same parameters, then zeroes them, so
    /// that the owner's gradients hold both networks' and a second call adds nothing. An <see cref="Optimizer"/> holding both
    /// networks calls it before each update; call it yourself only to read the summed gradients.
    /// </summary>
    public void AddSharedGradientsToOwner()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sharedWith is null)
        {
            return;
        }

        RequireOwner();
        var owner = _sharedWith._gradients.View(Layout.SharedOffset, 1, checked((int)Layout.SharedParameterCount));
        Backend.Add(SharedGradients, owner);
        Backend.Fill(SharedGradients, 0f);
    }

    private void RequireOwner()
    {
        if (_sharedWith is { _disposed: true })
        {
            throw new ObjectDisposedException(_sharedWith.Layout.Name, $"{Layout.Name} shares layers with a {_sharedWith.Layout.Name} that was disposed.");
        }
    }

    private readonly NetworkHead[] _heads;

    /// <summary>The heads (<see cref="HeadAttribute"/>) in declaration order; empty for a network of one chain.</summary>
    public IReadOnlyList<NetworkHead> Heads => _heads;

    /// <summary>The head named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The network has no head of that name.</exception>
    public NetworkHead Head(string name)
    {
        foreach (var head in _heads)
        {
            if (head.Name == name)
            {
                return head;
            }
        }

        throw new ArgumentException(
            _heads.Length == 0
                ? $"{Layout.Name} has no heads (declare them with [Head(\"name\")]); its output is Output(rows)."
                : $"{Layout.Name} has no head named '{name}'; its heads are {string.Join(", ", _heads.Select(h => "'" + h.Name + "'"))}.",
            nameof(name));
    }

    /// <summary>
    /// Generated code: the heads the backward pass running takes gradients from, a bit per head (the first head's
    /// gradient is the pass's output gradient). 1 outside <see cref="Backward(int, HeadSet, bool, bool, bool)"/>.
    /// </summary>
    protected int HeadMask { get; private set; } = 1;

    /// <summary>The backend the network computes on.</summary>
    public Backend Backend { get; }

    /// <summary>Layers, parameter tensors and activation widths, as the generator planned them.</summary>
    public NetworkLayout Layout { get; }

    /// <summary>Features per input sample.</summary>
    public int InputFeatures => Layout.InputFeatures;

    /// <summary>Features per output sample.</summary>
    public int OutputFeatures => Layout.OutputFeatures;

    /// <summary>Number of parameters the network owns (those of layers it shares with <see cref="SharedWith"/> are that network's).</summary>
    public long ParameterCount => Layout.ParameterCount;

    /// <summary>Rows (batch size) the activation arena holds; 0 before <see cref="EnsureCapacity"/>.</summary>
    public int Capacity { get; private set; }

    /// <summary>Floats in the activation arenas and their gradient twins (one pair per context), with the convolution scratch where the backend needs one.</summary>
    public long ArenaLength => Capacity * (Contexts * 2 * _slotOffsets[^1] + ScratchPerSample);

    /// <summary>The convolutions' column matrix per row: none on a backend that convolves without one (the CPU).</summary>
    private long ScratchPerSample => Backend.ConvolutionNeedsColumns ? Layout.ScratchPerSample : 0;

    /// <summary>
    /// Activation contexts: sets of activations (with their gradients, BatchNorm's batch statistics and labels), one
    /// per forward pass whose backward pass is still to come. One by default; <see cref="EnsureContexts"/> adds more,
    /// so a step can run the network on two batches (CycleGAN's G_AB on a real A, then on G_BA's output) and
    /// backpropagate each through its own activations.
    /// </summary>
    public int Contexts { get; private set; } = 1;

    /// <summary>
    /// The context <see cref="Input"/>, <see cref="Output"/>, <see cref="Forward"/>, <see cref="Backward(int, Tensor, bool, bool, bool)"/> and the other
    /// activation views use (0 by default). Switching allocates nothing. Parameter gradients are shared: a backward pass
    /// after another adds to them with <c>accumulate: true</c>. Dropout masks follow <see cref="DropoutCounter"/>, so keep
    /// it between a context's forward and backward passes; an output redirected with <see cref="RedirectOutput"/> is
    /// every context's.
    /// </summary>
    public int Context
    {
        get => _context;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (value >= Contexts)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{Layout.Name} has {Contexts} activation context(s); call EnsureContexts({value + 1}) first.");
            }

            _context = value;
        }
    }

    /// <summary>Makes the network hold at least <paramref name="count"/> activation contexts (reallocating its arenas when it grows).</summary>
    public void EnsureContexts(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= Contexts)
        {
            return;
        }

        if (Layout.SavedLength > 0)
        {
            _saved?.Dispose();
            _saved = Backend.Allocate(count * Layout.SavedLength);
        }

        int rows = Capacity;
        Contexts = count;
        if (rows > 0)
        {
            Capacity = 0;
            EnsureCapacity(rows);
        }
    }

    /// <summary>
    /// Whether bias and activation run as one fused pass (and, backward, the activation derivative
    /// and the bias-gradient reduction). Off runs them as separate passes, to measure what fusion buys.
    /// </summary>
    public bool FuseKernels { get; set; } = true;

    /// <summary>All parameters as one (1, ParameterCount) tensor.</summary>
    public Tensor Parameters => _parameters.All;

    /// <summary>All parameter gradients, in the same layout as <see cref="Parameters"/> (those of shared parameters are in <see cref="SharedGradients"/>).</summary>
    public Tensor Gradients => Layout.SharedParameterCount > 0 ? _gradients.View(0, 1, checked((int)Layout.ParameterCount)) : _gradients.All;

    /// <summary>The non-trained state (BatchNorm's running statistics) as one tensor; empty when there is none.</summary>
    public Tensor State => _state?.All ?? default;

    /// <summary>
    /// Training mode (the default): BatchNorm normalises with the batch's statistics and updates its
    /// running ones, Dropout drops. Off (evaluation): running statistics, no dropout.
    /// </summary>
    public bool Training { get; set; } = true;

    /// <summary>Seed of the dropout masks (the trainer sets its own seed).</summary>
    public ulong RandomSeed { get; set; }

    /// <summary>
    /// Which dropout masks the next forward pass draws; the backward pass recomputes the same ones, so
    /// set it before a forward and leave it until the matching backward. The trainer advances it per pass.
    /// </summary>
    public CounterValue DropoutCounter { get; set; }

    private Tensor _redirectedOutput; // where Forward writes the output instead of the arena (RedirectOutput), or empty

    /// <summary>Makes the activation arena hold at least <paramref name="rows"/> rows (allocates only when it grows).</summary>
    public void EnsureCapacity(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows <= Capacity)
        {
            return;
        }

        // What the arenas will take, said before any is allocated (a batch of thousands can ask for gigabytes).
        long perRow = Contexts * (2 * _slotOffsets[^1] + (Layout.ConditionClasses > 0 ? 1 : 0) + (Layout.SupportsGradientPenalty ? _slotOffsets[^1] : 0)) + ScratchPerSample;
        long bytes = perRow > long.MaxValue / 4 / rows ? long.MaxValue : perRow * rows * 4;
        if (bytes > Backend.AvailableMemoryBytes || Contexts * rows * _slotOffsets[^1] > Backend.MaxBufferLength)
        {
            throw new InsufficientMemoryException(
                $"{Layout.Name}: the activation memory for {rows:N0} rows would take {bytes / (1024.0 * 1024 * 1024):N1} GiB in buffers of up to {Contexts * rows * (double)_slotOffsets[^1]:N0} floats, " +
                $"more than this {Backend.Name} backend can hold ({Backend.AvailableMemoryBytes / (1024.0 * 1024 * 1024):N1} GiB free, {Backend.MaxBufferLength:N0} floats a buffer): use a smaller batch.");
        }

        _activations?.Dispose();
        _activationGradients?.Dispose();
        _scratch?.Dispose();
        _labels?.Dispose();
        _activations = Backend.Allocate(Contexts * rows * _slotOffsets[^1]);
        _activationGradients = Backend.Allocate(Contexts * rows * _slotOffsets[^1]);
        _scratch = ScratchPerSample > 0 ? Backend.Allocate(rows * ScratchPerSample) : null;
        _labels = Layout.ConditionClasses > 0 ? Backend.Allocate(Contexts * rows) : null;
        _tangents?.Dispose();
        _tangents = Layout.SupportsGradientPenalty ? Backend.Allocate(Contexts * rows * _slotOffsets[^1]) : null;
        Capacity = rows;
    }

    /// <summary>The (rows, InputFeatures) input the next <see cref="Forward"/> reads.</summary>
    public Tensor Input(int rows) => Activation(0, rows);

    /// <summary>The (rows, OutputFeatures) output <see cref="Forward"/> writes (the first head's, for a network with heads).</summary>
    public Tensor Output(int rows) => Activation(Layout.OutputSlot, rows);

    /// <summary>Where <see cref="Backward(int, Tensor, bool, bool, bool)"/> writes the gradient with respect to the input, when asked to.</summary>
    public Tensor InputGradient(int rows) => ActivationGradient(0, rows);

    /// <summary>The default place for the gradient of the loss with respect to the output.</summary>
    public Tensor OutputGradient(int rows) => ActivationGradient(Layout.OutputSlot, rows);

    /// <summary>
    /// The (rows, 1) class labels a network with a <see cref="ConditionAttribute"/> reads, as floats
    /// (0 .. classes - 1); set them before <see cref="Forward"/>.
    /// </summary>
    public Tensor Labels(int rows) =>
        _labels is null
            ? throw new InvalidOperationException(Layout.ConditionClasses == 0
                ? $"{Layout.Name} has no [Condition] layer, so it takes no labels."
                : $"{Layout.Name} has no activation memory yet: call EnsureCapacity(batchSize) first.")
            : _labels.View((long)_context * Capacity, rows, 1);

    /// <summary>Runs the network on the first <paramref name="rows"/> rows of <see cref="Input"/>, writing <see cref="Output"/>.</summary>
    public void Forward(int rows)
    {
        RequireRows(rows);
        ForwardCore(rows);
    }

    /// <summary>
    /// The network's outputs (its first head's) in evaluation mode (<see cref="Training"/> off, then restored) for the
    /// first <paramref name="count"/> rows of <paramref name="inputs"/>, (rows, <see cref="InputFeatures"/>) floats, at
    /// most <see cref="Capacity"/> rows at a time: (count, <see cref="OutputFeatures"/>) floats, as Keras' <c>predict</c>.
    /// </summary>
    public float[] Predict(float[] inputs, int count)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int width = InputFeatures, pixels = OutputFeatures;
        if ((long)count * width > inputs.Length)
        {
            throw new ArgumentException($"{count} rows of {width} inputs need {(long)count * width} values, not {inputs.Length}.", nameof(inputs));
        }

        var outputs = new float[(long)count * pixels];
        ForwardInChunks(count, (first, rows, input) => inputs.AsSpan(first * width, rows * width).CopyTo(input),
            (first, rows) => Backend.Download(Output(rows), outputs.AsSpan(first * pixels, rows * pixels)));
        return outputs;
    }

    /// <summary>
    /// The network's outputs (its first head's) in evaluation mode for the first <paramref name="count"/> images of
    /// <paramref name="images"/>, their pixels scaled by <paramref name="scale"/>: (count, <see cref="OutputFeatures"/>)
    /// floats, as <see cref="Predict(float[], int)"/>.
    /// </summary>
    public float[] Predict(Data.ImageDataset images, int count, PixelScale scale = PixelScale.MinusOneToOne)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int pixels = OutputFeatures;
        var outputs = new float[(long)count * pixels];
        ForwardImages(images, count, (first, rows) => Backend.Download(Output(rows), outputs.AsSpan(first * pixels, rows * pixels)), scale);
        return outputs;
    }

    /// <summary>
    /// Runs the network in evaluation mode (<see cref="Training"/> off, then restored) on the first
    /// <paramref name="count"/> images of <paramref name="images"/>, at most <see cref="Capacity"/> at a time, their
    /// pixels scaled by <paramref name="scale"/>; after each chunk's forward pass, <paramref name="read"/>(first, rows)
    /// reads what it needs of the outputs' first <c>rows</c> rows, those of images <c>[first, first + rows)</c>.
    /// What a sample's evaluation does: reconstruct, encode or classify a test set.
    /// </summary>
    public void ForwardImages(Data.ImageDataset images, int count, Action<int, int> read, PixelScale scale = PixelScale.MinusOneToOne)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, images.Count);
        int pixels = images.PixelsPerImage;
        if (pixels != InputFeatures)
        {
            throw new ArgumentException($"The images have {pixels} values each but {Layout.Name} reads {InputFeatures}.", nameof(images));
        }

        ForwardInChunks(count, (first, rows, input) =>
        {
            for (int r = 0; r < rows; r++)
            {
                images.CopyImage(first + r, input.Slice(r * pixels, pixels), scale);
            }
        }, read);
    }

    private delegate void ChunkInput(int first, int rows, Span<float> input);

    // Evaluation mode over count rows, a Capacity at a time: fill writes rows [first, first + rows) of the input, read
    // takes what it needs after each chunk's forward pass.
    private void ForwardInChunks(int count, ChunkInput fill, Action<int, int> read)
    {
        int width = InputFeatures, chunk = Capacity;
        if (chunk <= 0)
        {
            throw new InvalidOperationException($"{Layout.Name} has no activation memory yet: call EnsureCapacity(batchSize) first.");
        }

        var input = new float[Math.Min(chunk, count) * width];
        bool training = Training;
        Training = false;
        try
        {
            for (int first = 0; first < count; first += chunk)
            {
                int rows = Math.Min(chunk, count - first);
                fill(first, rows, input.AsSpan(0, rows * width));
                Backend.Upload(input.AsSpan(0, rows * width), Input(rows));
                Forward(rows);
                read(first, rows);
            }
        }
        finally
        {
            Training = training;
        }
    }

    /// <summary>
    /// Backpropagates the gradient of a loss with respect to the output of the last
    /// <see cref="Forward"/> over the same rows. For a network with heads, this is the first head's gradient alone;
    /// <see cref="Backward(int, HeadSet, bool, bool, bool)"/> takes several.
    /// </summary>
    /// <param name="rows">The batch, as in the forward pass.</param>
    /// <param name="outputGradient">(rows, OutputFeatures) upstream gradient, overwritten; default: <see cref="OutputGradient"/>.</param>
    /// <param name="weightGradients">Compute parameter gradients (off when only the input gradient is wanted, e.g. a discriminator in the generator's step).</param>
    /// <param name="inputGradient">Compute <see cref="InputGradient"/>.</param>
    /// <param name="accumulate">Add parameter gradients to <see cref="Gradients"/> instead of overwriting them.</param>
    public void Backward(int rows, Tensor outputGradient = default, bool weightGradients = true, bool inputGradient = false, bool accumulate = false)
    {
        RequireRows(rows);
        if (!Training && _state is not null)
        {
            throw new InvalidOperationException($"{Layout.Name} has BatchNorm layers: backpropagate in training mode (Training = true), where they use the batch's statistics.");
        }

        if (outputGradient.IsEmpty)
        {
            outputGradient = OutputGradient(rows);
        }
        else if (outputGradient.Rows != rows || outputGradient.Cols != OutputFeatures)
        {
            throw new ArgumentException($"{Layout.Name}: the output gradient must be ({rows}, {OutputFeatures}), not {outputGradient}.", nameof(outputGradient));
        }

        try
        {
            BackwardCore(rows, outputGradient, weightGradients, inputGradient, accumulate);
        }
        catch when (Backend.InBranch)
        {
            Backend.EndBranch(); // a call inside a branch threw
            throw;
        }

        // Weight gradients computed on a side branch (Backend.BeginBranch) are complete when Backward returns.
        Backend.JoinBranches();
    }

    /// <summary>
    /// Backpropagates the gradients of the <paramref name="heads"/> given, each read from its
    /// <see cref="NetworkHead.OutputGradient"/> (and overwritten), after the last <see cref="Forward"/> over the same rows:
    /// the heads' contributions add up in the trunk. Heads not given contribute nothing.
    /// </summary>
    /// <param name="rows">The batch, as in the forward pass.</param>
    /// <param name="heads">The heads with a gradient: <c>validity | label</c>.</param>
    /// <param name="weightGradients">Compute parameter gradients (the heads' not given stay as they are).</param>
    /// <param name="inputGradient">Compute <see cref="InputGradient"/>.</param>
    /// <param name="accumulate">Add parameter gradients to <see cref="Gradients"/> instead of overwriting them.</param>
    public void Backward(int rows, HeadSet heads, bool weightGradients = true, bool inputGradient = false, bool accumulate = false)
    {
        if (heads.Network is null || heads.Mask == 0)
        {
            throw new ArgumentException($"{Layout.Name}: a backward pass needs at least one head.", nameof(heads));
        }

        if (!ReferenceEquals(heads.Network, this))
        {
            throw new ArgumentException($"{Layout.Name}: the heads given are {heads.Network.Layout.Name}'s.", nameof(heads));
        }

        HeadMask = (int)heads.Mask;
        try
        {
            Backward(rows, outputGradient: default, weightGradients, inputGradient, accumulate);
        }
        finally
        {
            HeadMask = 1;
        }
    }

    /// <summary>
    /// WGAN-GP's second-order pass, for networks declared with <see cref="GradientPenaltyAttribute"/>: after a
    /// <see cref="Forward"/> and a <see cref="Backward(int, Tensor, bool, bool, bool)"/> (input gradient, output gradient of ones) at the
    /// same rows, adds to <see cref="Gradients"/> the gradient of a penalty on the input gradient, given
    /// <paramref name="tangent"/> = dPenalty/d(input gradient) (rows, InputFeatures).
    /// </summary>
    /// <param name="rows">The batch, as in the forward and backward passes.</param>
    /// <param name="tangent">The penalty's gradient with respect to the input gradient.</param>
    /// <param name="outputGradient">The output gradient the backward pass used (and modified in place).</param>
    public void GradientPenaltyBackward(int rows, Tensor tangent, Tensor outputGradient)
    {
        if (!Layout.SupportsGradientPenalty)
        {
            throw new NotSupportedException($"{Layout.Name} was not declared with [GradientPenalty], so it has no second-order pass; add the attribute to use it as a WGAN-GP critic.");
        }

        RequireRows(rows);
        if (tangent.Rows != rows || tangent.Cols != InputFeatures || outputGradient.Rows != rows || outputGradient.Cols != OutputFeatures)
        {
            throw new ArgumentException($"{Layout.Name}: the tangent must be ({rows}, {InputFeatures}) and the output gradient ({rows}, {OutputFeatures}).");
        }

        GradientPenaltyCore(rows, tangent, outputGradient);
    }

    /// <summary>Sets all parameter gradients to zero (<see cref="SharedGradients"/> too).</summary>
    public void ZeroGradients() => Backend.Fill(_gradients.All, 0f);

    /// <summary>
    /// Initialises every parameter by the network's <see cref="NetworkLayout.Initialization"/> scheme
    /// (PyTorch's defaults unless the class says otherwise), drawing from Philox with one stream per
    /// parameter tensor: the same seed gives the same network on every backend.
    /// </summary>
    public void InitializeParameters(ulong seed)
    {
        var scheme = Layout.Initialization;
        for (int i = 0; i < Layout.Parameters.Count; i++)
        {
            var p = Layout.Parameters[i];
            if (p.Shared)
            {
                continue; // the owner's, initialised there
            }

            ulong stream = RandomStreams.Initialization + (ulong)i;
            switch (p.Kind, scheme)
            {
                case (ParameterKind.Scale, WeightInit.Dcgan):
                    FillNormal(Parameter(i), 1f, 0.02f, seed, stream);
                    break;
                case (ParameterKind.Scale, _):
                    Backend.Fill(Parameter(i), 1f);
                    break;
                case (ParameterKind.Slope, _):
                    Backend.Fill(Parameter(i), 0.25f);
                    break;
                case (ParameterKind.Shift, _):
                case (ParameterKind.Bias, WeightInit.Keras or WeightInit.Dcgan):
                    Backend.Fill(Parameter(i), 0f);
                    break;
                case (ParameterKind.Embedding, WeightInit.Keras):
                    Backend.RandomUniform(Parameter(i), -0.05f, 0.05f, seed, stream, 0);
                    break;
                case (ParameterKind.Embedding, _):
                    Backend.RandomNormal(Parameter(i), seed, stream, 0);
                    break;
                case (ParameterKind.Weight, WeightInit.Keras):
                    float limit = MathF.Sqrt(6f / FanSum(p));
                    Backend.RandomUniform(Parameter(i), -limit, limit, seed, stream, 0);
                    break;
                case (ParameterKind.Weight, WeightInit.Dcgan):
                    FillNormal(Parameter(i), 0f, 0.02f, seed, stream);
                    break;
                default:
                    float bound = 1f / MathF.Sqrt(p.FanIn);
                    Backend.RandomUniform(Parameter(i), -bound, bound, seed, stream, 0);
                    break;
            }
        }

        foreach (var state in Layout.States)
        {
            Backend.Fill(StateView(state.Offset, state.Length), state.Initial);
        }
    }

    // Fan-in plus fan-out of a weight: (out + in) for a Dense matrix, (filters + channels) x k x k for
    // a kernel of either convolution (Glorot's limit needs only the sum).
    private static float FanSum(ParameterInfo p) =>
        p.Shape.Length == 4 ? (float)(p.Shape[0] + p.Shape[1]) * p.Shape[2] * p.Shape[3] : (float)p.Rows + p.Cols;

    private void FillNormal(Tensor tensor, float mean, float deviation, ulong seed, ulong stream)
    {
        var values = new float[tensor.Length];
        Randomness.Philox.FillNormal(values, seed, stream, 0);
        for (int j = 0; j < values.Length; j++)
        {
            values[j] = mean + deviation * values[j];
        }

        Backend.Upload(values, tensor);
    }

    /// <summary>Copies all parameters to the host.</summary>
    public float[] GetParameters()
    {
        var values = new float[ParameterCount];
        Backend.Download(Parameters, values);
        return values;
    }

    /// <summary>Replaces all parameters with <paramref name="values"/> (length <see cref="ParameterCount"/>).</summary>
    public void SetParameters(ReadOnlySpan<float> values) => Backend.Upload(values, Parameters);

    /// <summary>Copies the state (running statistics) to the host; empty when there is none.</summary>
    public float[] GetState()
    {
        var values = new float[Layout.StateCount];
        if (_state is not null)
        {
            Backend.Download(_state.All, values);
        }

        return values;
    }

    /// <summary>Replaces the state with <paramref name="values"/> (length <see cref="NetworkLayout.StateCount"/>).</summary>
    public void SetState(ReadOnlySpan<float> values)
    {
        if (values.Length != Layout.StateCount)
        {
            throw new ArgumentException($"{Layout.Name} has {Layout.StateCount} state values, not {values.Length}.", nameof(values));
        }

        if (_state is not null)
        {
            Backend.Upload(values, _state.All);
        }
    }

    /// <summary>
    /// The memory the network holds, for logs: parameters, gradients and the activation arena (with its
    /// gradient twin) at the current <see cref="Capacity"/>, e.g.
    /// <c>MnistGenerator memory: parameters 888.1 KiB, gradients 888.1 KiB, activations 580.0 KiB (batch up to 64)</c>.
    /// </summary>
    public string MemorySummary() =>
        $"{Layout.Name} memory: parameters {Bytes(ParameterCount)}, gradients {Bytes(ParameterCount + Layout.SharedParameterCount)}, " +
        $"activations {Bytes(ArenaLength)} (batch up to {Capacity}{(Contexts > 1 ? $", {Contexts} contexts" : "")})" +
        (Layout.SharedWith is null ? "" : $"; uses {Bytes(Layout.SharedParameterCount)} of {Layout.SharedWith}'s parameters");

    /// <summary>The model summary (layers, output shapes, parameters).</summary>
    public override string ToString() => Layout.Summary;

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the network's buffers.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _sharedWith?._sharers.Remove(this);
        if (disposing)
        {
            _parameters.Dispose();
            _gradients.Dispose();
            _activations?.Dispose();
            _activationGradients?.Dispose();
            _state?.Dispose();
            _saved?.Dispose();
            _scratch?.Dispose();
            _labels?.Dispose();
            _tangents?.Dispose();
            _zeros?.Dispose();
        }
    }

    /// <summary>Generated: the forward pass over <paramref name="rows"/> rows.</summary>
    protected abstract void ForwardCore(int rows);

    /// <summary>Generated: the backward pass; see <see cref="Backward(int, Tensor, bool, bool, bool)"/>.</summary>
    protected abstract void BackwardCore(int rows, Tensor outputGradient, bool weightGradients, bool inputGradient, bool accumulate);

    /// <summary>Generated for <see cref="GradientPenaltyAttribute"/> networks: see <see cref="GradientPenaltyBackward"/>.</summary>
    protected virtual void GradientPenaltyCore(int rows, Tensor tangent, Tensor outputGradient) =>
        throw new NotSupportedException($"{Layout.Name} has no second-order pass.");

    /// <summary>The tangent twin of <see cref="Activation"/>, for the second-order pass.</summary>
    protected Tensor Tangent(int slot, int rows) =>
        Arena(_tangents).View(ContextOffset + Capacity * _slotOffsets[slot], rows, Layout.ActivationWidths[slot]);

    /// <summary>A (rows, cols) tensor of zeros (allocated on first use, reused after).</summary>
    protected Tensor Zeros(int rows, int cols)
    {
        if (_zeros is null || _zeros.Length < (long)rows * cols)
        {
            _zeros?.Dispose();
            _zeros = Backend.Allocate((long)rows * cols);
        }

        return _zeros.View(0, rows, cols);
    }

    /// <summary>
    /// Stored activation <paramref name="slot"/> as a (rows, width) view: slot 0 is the input, slot i the
    /// output of the i-th Dense layer after its activation (see <see cref="NetworkLayout.ActivationWidths"/>).
    /// After <see cref="Forward"/> these are the network's hidden features, e.g. for metrics.
    /// </summary>
    public Tensor Activation(int slot, int rows) =>
        slot == Layout.OutputSlot && !_redirectedOutput.IsEmpty
            ? RedirectedOutput(rows)
            : Arena(_activations).View(ContextOffset + Capacity * _slotOffsets[slot], rows, Layout.ActivationWidths[slot]);

    /// <summary>
    /// Makes <see cref="Forward"/> write its output into <paramref name="output"/>, a (rows, <see cref="OutputFeatures"/>)
    /// tensor on the same backend, instead of the network's own memory, until called again with <c>default</c>:
    /// <see cref="Output"/>, and the backward pass's reading of it, then see that tensor. The trainer points the
    /// generator's output at the discriminator's input this way, so no copy joins the two. Forward and backward
    /// passes must then cover at most <c>output.Rows</c> rows.
    /// </summary>
    public void RedirectOutput(Tensor output)
    {
        if (!output.IsEmpty)
        {
            if (!ReferenceEquals(output.Buffer!.Backend, Backend))
            {
                throw new ArgumentException($"{Layout.Name}: the output must live on the network's backend ({Backend.Name}).", nameof(output));
            }

            if (output.Cols != OutputFeatures)
            {
                throw new ArgumentException($"{Layout.Name}: the output must be (rows, {OutputFeatures}), not {output}.", nameof(output));
            }
        }

        _redirectedOutput = output;
    }

    private Tensor RedirectedOutput(int rows) =>
        rows <= _redirectedOutput.Rows
            ? _redirectedOutput.Slice(0, rows)
            : throw new InvalidOperationException($"{Layout.Name}: its output is redirected to a tensor of {_redirectedOutput.Rows} rows, so it cannot hold {rows}; call RedirectOutput(default) first.");

    /// <summary>The gradient twin of <see cref="Activation"/>.</summary>
    public Tensor ActivationGradient(int slot, int rows) =>
        Arena(_activationGradients).View(ContextOffset + Capacity * _slotOffsets[slot], rows, Layout.ActivationWidths[slot]);

    /// <summary>Parameter tensor <paramref name="index"/> (see <see cref="NetworkLayout.Parameters"/>).</summary>
    protected Tensor Parameter(int index)
    {
        var p = Layout.Parameters[index];
        return ParameterView(index, p.Rows, p.Cols);
    }

    /// <summary>The gradient of parameter tensor <paramref name="index"/>.</summary>
    protected Tensor Gradient(int index)
    {
        var p = Layout.Parameters[index];
        return GradientView(index, p.Rows, p.Cols);
    }

    /// <summary>
    /// A (rows, cols) view of the parameter buffer from parameter <paramref name="index"/> on (e.g. BatchNorm's adjacent scale
    /// and shift); a shared parameter's is in <see cref="SharedWith"/>'s buffer.
    /// </summary>
    protected Tensor ParameterView(int index, int rows, int cols)
    {
        var p = Layout.Parameters[index];
        return p.Shared ? _sharedWith!._parameters.View(p.Offset, rows, cols) : _parameters.View(p.Offset, rows, cols);
    }

    /// <summary>The gradient twin of <see cref="ParameterView"/>; a shared parameter's is in <see cref="SharedGradients"/>.</summary>
    protected Tensor GradientView(int index, int rows, int cols)
    {
        var p = Layout.Parameters[index];
        return _gradients.View(p.Shared ? Layout.ParameterCount + p.Offset - Layout.SharedOffset : p.Offset, rows, cols);
    }

    /// <summary>A (1, length) view of the state buffer.</summary>
    protected Tensor StateView(long offset, int length) => _state!.View(offset, 1, length);

    /// <summary>A (1, length) view of the per-batch statistics a forward pass keeps for its backward pass.</summary>
    protected Tensor SavedView(long offset, int length) => _saved!.View((long)_context * Layout.SavedLength + offset, 1, length);

    /// <summary>A (rows, cols) view of the convolution scratch buffer; empty on a backend that needs none.</summary>
    protected Tensor Scratch(int rows, int cols) => _scratch is null ? default : _scratch.View(0, rows, cols);

    private static string Bytes(long floats)
    {
        double kib = floats * 4 / 1024.0;
        return kib < 1024
            ? kib.ToString("0.0 'KiB'", System.Globalization.CultureInfo.InvariantCulture)
            : (kib / 1024).ToString("0.0 'MiB'", System.Globalization.CultureInfo.InvariantCulture);
    }

    // Where the current context's slots start in an arena of Contexts x Capacity rows.
    private long ContextOffset => (long)_context * Capacity * _slotOffsets[^1];

    private DeviceBuffer Arena(DeviceBuffer? buffer) =>
        buffer ?? throw new InvalidOperationException($"{Layout.Name} has no activation memory yet: call EnsureCapacity(batchSize) first.");

    private void RequireRows(int rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireOwner();
        if (rows <= 0 || rows > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows,
                Capacity == 0
                    ? $"{Layout.Name} has no activation memory yet: call EnsureCapacity(batchSize) first."
                    : $"{Layout.Name} holds at most {Capacity} rows; call EnsureCapacity({rows}) first.");
        }
    }
}
