using GanDsl.Backends;
using GanDsl.Data;

namespace GanDsl;

/// <summary>
/// What one training step does, for <see cref="Trainer"/>'s loop to run over the data: compose the networks'
/// forward and backward passes, loss terms and optimizer updates (<see cref="Run"/>), as Keras' <c>train_step</c> or
/// Lightning's manual optimisation. A step declares its parts in its constructor (networks, optimizers, device
/// scalars, counters: what a checkpoint holds) and its statistics; the loop does the rest (epochs, shuffling, progress,
/// logs, sample grids, checkpoints, resume, the NaN stop, Ctrl+C).
/// </summary>
/// <remarks>
/// <see cref="Run"/> must be a fixed sequence of backend calls for a given phase (see <see cref="PhaseOf"/>): on a GPU
/// the loop runs the first step of each phase directly, captures the second as a CUDA graph and replays it from then
/// on. Numbers that change from step to step come from the context's counters (noise, the batch position) and device
/// scalars, never from host variables read inside <see cref="Run"/>.
/// </remarks>
public abstract class TrainingStep : IDisposable
{
    /// <summary>Most statistics one step reports.</summary>
    public const int MaxStatistics = 64;

    /// <summary>Most device scalars one step keeps.</summary>
    public const int MaxScalars = 64;

    private readonly List<(string Name, Network Network)> _networks = [];
    private readonly List<(string Name, Optimizer Optimizer)> _optimizers = [];
    private readonly List<DeviceScalar> _scalars = [];
    private readonly List<(string Name, DeviceCounter Counter)> _counters = [];
    private readonly List<Statistic> _statistics = [];
    private readonly List<DeviceBuffer> _latentMemory = [];
    private readonly DeviceBuffer _scalarMemory;
    private readonly DeviceBuffer _statisticSums;
    private ulong _seed;
    private int _version;
    private bool _sealed;

    /// <summary>A step on <paramref name="backend"/> that trains on batches of <paramref name="batchSize"/> images.</summary>
    protected TrainingStep(Backend backend, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Backend = backend;
        BatchSize = batchSize;
        _scalarMemory = backend.Allocate(MaxScalars);
        _statisticSums = backend.Allocate(MaxStatistics);
    }

    /// <summary>The backend every part lives on.</summary>
    public Backend Backend { get; }

    /// <summary>Images per batch (per domain).</summary>
    public int BatchSize { get; }

    /// <summary>What the step is, in checkpoints (default: the type's name); a checkpoint of another kind is refused.</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>The run's seed (set by the trainer): noise, dropout and sample grids draw from it.</summary>
    public ulong Seed
    {
        get => _seed;
        internal set
        {
            _seed = value;
            OnSeedChanged(value);
        }
    }

    /// <summary>The networks the step trains, by name (checkpoint tensors are named <c>{name}.{parameter}</c>).</summary>
    public IReadOnlyList<(string Name, Network Network)> Networks => _networks;

    /// <summary>The optimizers, by name.</summary>
    public IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers => _optimizers;

    /// <summary>The device scalars.</summary>
    public IReadOnlyList<DeviceScalar> Scalars => _scalars;

    /// <summary>The step's own counters, by name (checkpoints hold their values).</summary>
    public IReadOnlyList<(string Name, DeviceCounter Counter)> Counters => _counters;

    /// <summary>The statistics the step reports, in the order the epoch line and <c>training.csv</c> show them.</summary>
    public IReadOnlyList<Statistic> Statistics => _statistics;

    /// <summary>The device floats the statistics sum into, one per statistic in order (read and reset by the trainer).</summary>
    internal Tensor StatisticSums => _statisticSums.View(0, 1, Math.Max(1, _statistics.Count));

    /// <summary>Changes whenever something a captured step bakes in changes (see <see cref="Changed"/>).</summary>
    internal int Version => _version;

    /// <summary>
    /// Which kind of step comes after <paramref name="stepsTaken"/> steps (default 0 for every step): steps of
    /// different phases run different calls (a critic-only step and a critic-and-generator step), and each gets its
    /// own captured graph.
    /// </summary>
    public virtual int PhaseOf(long stepsTaken) => 0;

    /// <summary>One training step over the batch at the context's position: backend calls only.</summary>
    public abstract void Run(StepContext context);

    /// <summary>Throws an <see cref="ArgumentException"/> saying what is wrong when <paramref name="data"/> does not fit the step (default: any data).</summary>
    public virtual void CheckData(TrainingData data)
    {
    }

    /// <summary>The sample grid written after each epoch, or null for none (default).</summary>
    public virtual SampleGrid? Samples() => null;

    /// <summary>Settings worth keeping in a checkpoint's metadata (the loss, n_critic, ...), by name; informative.</summary>
    public virtual IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>();

    /// <summary>
    /// Registers <paramref name="network"/> under <paramref name="name"/> (not owned: the caller disposes it), its
    /// activation memory made to hold <paramref name="rows"/> rows (default: a batch).
    /// </summary>
    protected T AddNetwork<T>(string name, T network, int rows = 0)
        where T : Network
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        RequireName(name);
        if (!ReferenceEquals(network.Backend, Backend))
        {
            throw new ArgumentException($"The network {network.Layout.Name} lives on another backend than the step.", nameof(network));
        }

        if (_networks.Any(n => ReferenceEquals(n.Network, network)))
        {
            throw new ArgumentException($"The network {network.Layout.Name} is already part of the step.", nameof(network));
        }

        network.EnsureCapacity(rows > 0 ? rows : BatchSize);
        network.RandomSeed = Seed;
        _networks.Add((name, network));
        return network;
    }

    /// <summary>Creates and registers an optimizer over the parameters of <paramref name="networks"/> (owned by the step).</summary>
    protected Optimizer AddOptimizer(string name, OptimizerSettings settings, params Network[] networks)
    {
        ArgumentNullException.ThrowIfNull(settings);
        RequireName(name);
        foreach (var network in networks)
        {
            if (!_networks.Any(n => ReferenceEquals(n.Network, network)))
            {
                throw new ArgumentException($"Add the network {network?.Layout.Name} to the step (AddNetwork) before giving it an optimizer.", nameof(networks));
            }
        }

        var optimizer = Optimizer.Create(settings, networks);
        _optimizers.Add((name, optimizer));
        return optimizer;
    }

    /// <summary>A device scalar starting at <paramref name="initial"/>; <paramref name="checkpointed"/>: whether checkpoints keep it.</summary>
    protected DeviceScalar AddScalar(string name, float initial = 0f, bool checkpointed = true)
    {
        RequireName(name);
        if (_scalars.Count == MaxScalars)
        {
            throw new InvalidOperationException($"A step keeps at most {MaxScalars} device scalars.");
        }

        var scalar = new DeviceScalar(name, _scalarMemory.View(_scalars.Count, 1, 1), initial, checkpointed);
        scalar.Set(initial);
        _scalars.Add(scalar);
        return scalar;
    }

    /// <summary>
    /// A counter of the step's own (a step taken every so often, a position in a schedule), kept where kernels read it and
    /// held by checkpoints; a step moves it with <see cref="Backend.AddToCounter"/>, so a replayed step moves it too.
    /// </summary>
    protected DeviceCounter AddCounter(string name, ulong initial = 0)
    {
        RequireName(name);
        var counter = Backend.CreateCounter(initial);
        _counters.Add((name, counter));
        return counter;
    }

    /// <summary>
    /// A latent vector of <paramref name="parts"/> that <see cref="StepContext.Latent"/> draws every step, for up to
    /// <paramref name="rows"/> rows (default: the batch); its codes stay on the device for the losses that use them.
    /// </summary>
    protected LatentCodes AddLatent(IReadOnlyList<LatentPart> parts, int rows = 0)
    {
        ArgumentNullException.ThrowIfNull(parts);
        RequireOpen();
        if (parts.Count == 0 || parts.Any(p => p is null))
        {
            throw new ArgumentException("A latent vector needs one part or more, none of them null.", nameof(parts));
        }

        rows = rows == 0 ? BatchSize : rows;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var memory = Backend.Allocate(parts.Sum(p => (long)rows * p.CodeWidth));
        _latentMemory.Add(memory);
        return new LatentCodes([.. parts], memory, rows);
    }

    /// <summary>A statistic the step records with its losses or a scalar program, shown under <paramref name="name"/>.</summary>
    protected Statistic AddStatistic(string name, StatisticKind kind = StatisticKind.Loss)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        RequireOpen();
        if (_statistics.Count == MaxStatistics)
        {
            throw new InvalidOperationException($"A step reports at most {MaxStatistics} statistics.");
        }

        string column = Statistic.ColumnOf(name);
        if (column.Length == 0 || column is "step" or "epoch" or "images_per_second" || _statistics.Any(s => s.Name == name || s.Column == column))
        {
            throw new ArgumentException($"The statistic '{name}' needs a name with a letter or digit, unlike the other statistics' and the log's own columns (column '{column}').", nameof(name));
        }

        var statistic = new Statistic(name, kind, _statistics.Count, _statisticSums.View(_statistics.Count, 1, 1));
        _statistics.Add(statistic);
        return statistic;
    }

    /// <summary>Closes the step's declarations: a trainer sized itself to its parts and statistics.</summary>
    internal void Seal() => _sealed = true;

    private void RequireOpen()
    {
        if (_sealed)
        {
            throw new InvalidOperationException($"{Kind} is already run by a trainer: declare a step's parts and statistics in its constructor.");
        }
    }

    /// <summary>Call when a setting that <see cref="Run"/> bakes into its calls changes, so a captured step is captured again.</summary>
    protected void Changed() => _version++;

    /// <summary>Called when the trainer sets <see cref="Seed"/> (at its start and when resuming), before any step.</summary>
    protected virtual void OnSeedChanged(ulong seed)
    {
        foreach (var (_, network) in _networks)
        {
            network.RandomSeed = seed;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the optimizers and the step's device memory (not the networks, which the caller owns).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, optimizer) in _optimizers)
            {
                optimizer.Dispose();
            }

            foreach (var (_, counter) in _counters)
            {
                counter.Dispose();
            }

            foreach (var memory in _latentMemory)
            {
                memory.Dispose();
            }

            _scalarMemory.Dispose();
            _statisticSums.Dispose();
        }
    }

    // Part names become checkpoint tensor names: letters, digits and . _ - only, and one part per name.
    private void RequireName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        RequireOpen();
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') || name.StartsWith('.') || name.EndsWith('.'))
        {
            throw new ArgumentException($"The part name '{name}' may hold only letters, digits, '.', '_' and '-', and not start or end with '.'.", nameof(name));
        }

        if (_networks.Any(n => n.Name == name) || _optimizers.Any(o => o.Name == name) || _scalars.Any(s => s.Name == name) || _counters.Any(c => c.Name == name))
        {
            throw new ArgumentException($"The step already has a part named '{name}'.", nameof(name));
        }
    }
}

/// <summary>Images for a sample grid: <paramref name="Count"/> images of (<paramref name="Height"/>, <paramref name="Width"/>) grey-scale floats in [-1, 1], <paramref name="Columns"/> per row.</summary>
/// <param name="Pixels">Count x Height x Width floats, image after image.</param>
/// <param name="Count">Images.</param>
/// <param name="Height">Rows per image.</param>
/// <param name="Width">Columns per image.</param>
/// <param name="Columns">Images per row of the grid.</param>
public sealed record SampleGrid(float[] Pixels, int Count, int Height, int Width, int Columns)
{
    /// <summary>
    /// An unpaired translation's grid, six rows of up to <paramref name="columns"/> images: the first images of
    /// <paramref name="shown"/>'s domain A, <paramref name="ab"/>'s translations of them, and <paramref name="ba"/>'s of
    /// those (the cycle back); then the same from domain B, through <paramref name="ba"/> and back through
    /// <paramref name="ab"/>. Both networks run in evaluation mode, in their activation context 0.
    /// </summary>
    public static SampleGrid OfTranslations(UnpairedImages shown, Network ab, Network ba, int columns = 10)
    {
        ArgumentNullException.ThrowIfNull(shown);
        ArgumentNullException.ThrowIfNull(ab);
        ArgumentNullException.ThrowIfNull(ba);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        int n = Math.Min(columns, Math.Min(shown.A.Count, shown.B.Count)), pixels = ab.OutputFeatures;
        (ab.Context, ba.Context) = (0, 0);
        var (toB, toA) = (ab.Predict(shown.A, n), ba.Predict(shown.B, n));
        var (backToA, backToB) = (ba.Predict(toB, n), ab.Predict(toA, n));
        var grid = new float[6 * columns * pixels];
        Array.Fill(grid, -1f);
        for (int i = 0; i < n; i++)
        {
            shown.A.CopyImage(i, Cell(0, i));
            toB.AsSpan(i * pixels, pixels).CopyTo(Cell(1, i));
            backToA.AsSpan(i * pixels, pixels).CopyTo(Cell(2, i));
            shown.B.CopyImage(i, Cell(3, i));
            toA.AsSpan(i * pixels, pixels).CopyTo(Cell(4, i));
            backToB.AsSpan(i * pixels, pixels).CopyTo(Cell(5, i));
        }

        var shape = ab.Layout.OutputShape;
        return new SampleGrid(grid, 6 * columns, shape.Height, shape.Width, columns);

        Span<float> Cell(int row, int column) => grid.AsSpan(((row * columns) + column) * pixels, pixels);
    }
}
