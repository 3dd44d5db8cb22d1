using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Imaging;

namespace GanDsl;

/// <summary>
/// The training loop, the same for every GAN: epochs over shuffled batches of the data, each batch one run of a
/// <see cref="TrainingStep"/>; progress and per-epoch lines with the step's statistics, <c>training.csv</c> and its
/// plot, sample grids, checkpoints and resume, a stop on NaN or infinity, and Ctrl+C. Steps never wait for the
/// device: statistics are summed there and read back only when reported.
/// </summary>
/// <remarks>
/// Every random number comes from the counter-based Philox generator at a position derived from (seed, step, epoch),
/// so the whole state of a run is its parameters, optimizer moments, device scalars and counters: a checkpoint holds
/// exactly that, and a resumed run on the CPU is bit-identical to one that never stopped. On a backend that captures
/// (CUDA), the first step of each phase runs directly, the second is captured as a graph, and later ones replay it.
/// </remarks>
/// <example>
/// <code>
/// using var step = new BeganStep(generator, discriminator, new AdamSettings(2e-4), batchSize: 64);
/// using var trainer = new Trainer(step, new TrainerOptions { SampleDirectory = "out" });
/// trainer.Fit(Mnist.Load().Train, epochs: 5);
/// </code>
/// </example>
public partial class Trainer : IDisposable
{
    private readonly TrainingStep _step;
    private readonly Backend _backend;
    private readonly StepContext _context;
    private TrainerOptions _options;

    // The step number, the batch position (the counter points at the next batch) and the epochs completed, where the
    // step's kernels read them, so a replayed step sees the next values.
    private readonly DeviceCounter _steps;
    private readonly DeviceCounter _position;
    private readonly DeviceCounter _epochs;

    // Statistics: the device window since the last read, folded into the epoch's sums on the host.
    private readonly float[] _windowHost;
    private readonly long[] _windowCounts;
    private readonly double[] _epochSums;
    private readonly long[] _epochCounts;
    private long _windowSteps;
    private long _epochSteps;
    private readonly Dictionary<int, ulong> _phaseStatistics = [];

    private readonly Dictionary<int, CapturedStep> _graphs = [];
    private readonly int[] _keyScratch;
    private DeviceDataset? _data;
    private int _stepVersion;
    private bool _introduced;

    /// <summary>A loop running <paramref name="step"/>; the step's statistics and parts must all be declared by now.</summary>
    public Trainer(TrainingStep step, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        _options = options ?? new TrainerOptions();
        _options.Validate();
        _step = step;
        _backend = step.Backend;
        _steps = _backend.CreateCounter();
        _position = _backend.CreateCounter();
        _epochs = _backend.CreateCounter();
        _context = new StepContext(this, _backend, step.BatchSize);
        int statistics = step.Statistics.Count;
        _windowHost = new float[Math.Max(1, statistics)];
        _windowCounts = new long[statistics];
        _epochSums = new double[statistics];
        _epochCounts = new long[statistics];
        _keyScratch = new int[1 + 3 * step.Networks.Count + step.Optimizers.Count];
        _backend.Fill(step.StatisticSums, 0f);
        step.Seal();
        step.Seed = _options.Seed;
        _stepVersion = step.Version;
    }

    /// <summary>The step the loop runs.</summary>
    public TrainingStep TrainingStep => _step;

    /// <summary>The options in use.</summary>
    public TrainerOptions Options => _options;

    /// <summary>The backend the step runs on.</summary>
    public Backend Backend => _backend;

    /// <summary>Training steps taken so far.</summary>
    public long StepCount
    {
        get => (long)_steps.Value;
        private set => _backend.SetCounter(_steps, (ulong)value);
    }

    /// <summary>Epochs completed so far.</summary>
    public int EpochCount { get; private set; }

    /// <summary>Steps already taken in the epoch after <see cref="EpochCount"/> (non-zero after an interrupted epoch).</summary>
    public int EpochPosition { get; private set; }

    /// <summary>The newest checkpoint written or loaded, if any.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>The training curves logged so far (also written to <c>training.csv</c> when <see cref="TrainerOptions.LogDirectory"/> is set).</summary>
    public TrainingLog? Log { get; private set; }

    /// <summary>Whether steps are replayed from captured graphs (a backend that captures, with <see cref="TrainerOptions.CaptureSteps"/>).</summary>
    public bool CapturingSteps => _options.CaptureSteps && _backend.SupportsCapture;

    /// <summary>Whether the last steps were replayed from captured graphs (false before the second step, or when capture failed).</summary>
    public bool ReplayingGraphs => _graphs.Values.Any(g => g.Graph is not null);

    /// <summary>
    /// The captured graph of the highest phase: how many operations it holds and how many of them run one after
    /// another (its longest chain). (0, 0) before the first replay, without graphs, or where the backend cannot say.
    /// </summary>
    public (int Nodes, int LongestChain) StepGraphShape =>
        _graphs.Where(g => g.Value.Graph is not null).OrderByDescending(g => g.Key).Select(g => (g.Value.Graph!.NodeCount, g.Value.Graph.LongestChain)).FirstOrDefault();

    /// <summary>Called after every epoch with its results.</summary>
    public event Action<EpochResult>? EpochCompleted;

    /// <summary>Called by <see cref="Fit"/> after every step (and its gradient check) with the step count.</summary>
    public event Action<long>? StepCompleted;

    internal DeviceCounter StepsCounter => _steps;

    internal DeviceCounter PositionCounter => _position;

    internal DeviceCounter EpochsCounter => _epochs;

    internal DeviceDataset? CurrentData => _data;

    internal ulong Seed => _options.Seed;

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs have been completed in all (so a resumed run continues where it
    /// stopped) over <paramref name="data"/>, dropping each epoch's last partial batch; prints progress, writes sample
    /// grids, curves and checkpoints as the options say. Cancelling stops after the current step and writes a
    /// checkpoint of that point.
    /// </summary>
    /// <exception cref="TrainingDivergedException">A gradient or a statistic became NaN or infinite.</exception>
    public IReadOnlyList<EpochResult> Fit(TrainingData data, int epochs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        int batch = _step.BatchSize;
        int stepsPerEpoch = data.Count / batch;
        if (stepsPerEpoch == 0)
        {
            throw new ArgumentException($"The dataset has {data.Count} images, fewer than one batch of {batch}.", nameof(data));
        }

        if (EpochPosition >= stepsPerEpoch)
        {
            throw new ArgumentException(
                $"The run stopped after {EpochPosition:N0} batches of epoch {EpochCount + 1}, but an epoch of these {data.Count:N0} images has only {stepsPerEpoch:N0} batches of {batch}: " +
                "the checkpoint was written for other data or another batch size.", nameof(data));
        }

        var device = Upload(data);
        var results = new List<EpochResult>();
        var log = _options.Log;
        if (!_introduced)
        {
            _introduced = true;
            Introduce(log, data, epochs);
            SaveRealImages(data);
        }

        using var interrupt = cancellationToken.CanBeCanceled || !_options.StopOnInterrupt ? null : new InterruptStop();
        if (interrupt is not null)
        {
            cancellationToken = interrupt.Token;
        }

        Log ??= new TrainingLog(_options.LogDirectory is { } dir ? Path.Combine(dir, "training.csv") : null, _step.Statistics, StepCount);
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(log, _options.ProgressBar);
        var windowClock = Stopwatch.StartNew();
        while (EpochCount < epochs)
        {
            int epoch = EpochCount + 1;
            device.Shuffle(_options.Seed, epoch);
            if (_epochs.Value != (ulong)EpochCount)
            {
                _backend.SetCounter(_epochs, (ulong)EpochCount);
            }

            var epochStart = clock.Elapsed;
            int startPosition = EpochPosition;
            while (EpochPosition < stepsPerEpoch)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    progress.Clear();
                    FlushWindow(epoch, windowClock);
                    string? saved = _options.CheckpointDirectory is null ? null : WriteCheckpoint();
                    log?.WriteLine($"Stopped in epoch {epoch} after {EpochPosition} of {stepsPerEpoch} steps" +
                        (saved is null ? "." : $"; checkpoint {saved}"));
                    return results;
                }

                Step(device, EpochPosition * batch);
                EpochPosition++;
                if (!_backend.IsAsynchronous)
                {
                    // Cheap on the CPU; on a GPU it would wait for every step, so there it runs with each flush.
                    CheckGradients();
                    CheckWindow();
                }

                StepCompleted?.Invoke(StepCount);
                if (StepCount % _options.LogEvery == 0)
                {
                    FlushWindow(epoch, windowClock);
                }

                if (progress.Due)
                {
                    var running = EpochStatistics(includeWindow: true);
                    double seconds = (clock.Elapsed - epochStart).TotalSeconds;
                    double stepsPerSecond = (EpochPosition - startPosition) / seconds;
                    long left = stepsPerEpoch - EpochPosition, runLeft = left + (long)(epochs - epoch) * stepsPerEpoch;
                    progress.Show(epoch, epochs, EpochPosition, stepsPerEpoch, running, stepsPerSecond * batch, stepsPerSecond,
                        TimeSpan.FromSeconds(left / stepsPerSecond), TimeSpan.FromSeconds(runLeft / stepsPerSecond));
                }
            }

            FlushWindow(epoch, windowClock);
            var stats = EpochStatistics(includeWindow: false);
            var elapsed = (clock.Elapsed - epochStart).TotalSeconds;
            EpochCount = epoch;
            EpochPosition = 0;
            Array.Clear(_epochSums);
            Array.Clear(_epochCounts);
            _epochSteps = 0;

            string? sample = null;
            if (_options.SampleDirectory is { } samples && _step.Samples() is { } grid)
            {
                sample = SaveGrid(Path.Combine(samples, $"epoch_{epoch:D3}.png"), grid);
            }

            if (_options.LogDirectory is { } logs && Log.Points.Count > 0)
            {
                LossPlot.Save(Path.Combine(logs, "training.png"), Log);
            }

            if (_options.CheckpointDirectory is not null && (epoch == epochs || (_options.CheckpointEvery > 0 && epoch % _options.CheckpointEvery == 0)))
            {
                WriteCheckpoint();
            }

            var result = new EpochResult(epoch, stats, (stepsPerEpoch - startPosition) * batch / elapsed, clock.Elapsed, sample);
            progress.Clear();
            log?.WriteLine(Describe(result, epochs));
            results.Add(result);
            EpochCompleted?.Invoke(result);
        }

        return results;
    }

    // The run's first lines, as a sample prints them: the device, each network's summary and memory, where a resumed
    // run stands, and the plan.
    private void Introduce(TextWriter? log, TrainingData data, int epochs)
    {
        if (log is null)
        {
            return;
        }

        if (_backend.ChoiceNote is { } note)
        {
            log.WriteLine(note);
        }

        log.WriteLine($"device: {_backend.Description}");
        // One table per model (two generators of one class, or a generator and its average, share it); memory lines
        // name the part where two networks are of one model.
        var shown = new HashSet<string>();
        foreach (var (_, network) in _step.Networks)
        {
            if (shown.Add(network.Layout.Name))
            {
                log.WriteLine();
                log.WriteLine(network.Layout.Summary);
            }
        }

        log.WriteLine();
        foreach (var (name, network) in _step.Networks)
        {
            bool shared = _step.Networks.Count(n => n.Network.Layout.Name == network.Layout.Name) > 1;
            log.WriteLine(shared ? $"{name}: {network.MemorySummary()}" : network.MemorySummary());
        }

        if (StepCount > 0)
        {
            log.WriteLine($"resumed from {LastCheckpoint ?? "a checkpoint"}: {EpochCount} epochs and {EpochPosition} steps done, step {StepCount:N0}");
        }

        var settings = _step.Describe();
        string recipe = string.Join(", ", settings.Select(p => $"{p.Key.Replace('_', ' ')} {p.Value}"));
        string optimizers = string.Join("; ", _step.Optimizers.GroupBy(o => o.Optimizer.Settings.Describe())
            .Select(g => $"{g.Key} ({string.Join(", ", g.Select(o => o.Name))})"));
        string output = _options.OutputDirectory ?? _options.SampleDirectory ?? _options.LogDirectory ?? _options.CheckpointDirectory ?? "";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training to epoch {epochs}: {data.Count:N0} images, batch {_step.BatchSize} ({data.Count / _step.BatchSize:N0} steps an epoch)") +
            (recipe.Length > 0 ? $", {recipe}" : "") + (optimizers.Length > 0 ? $"; {optimizers}" : "") +
            $"; seed {_options.Seed}" + (output.Length > 0 ? $"; output in {Path.GetFullPath(output)}" : ""));
    }

    // real.png beside the samples: the first training images of each one-channel domain, to compare the samples with.
    private void SaveRealImages(TrainingData data)
    {
        if (_options.SampleDirectory is not { } directory)
        {
            return;
        }

        for (int d = 0; d < data.Domains.Count; d++)
        {
            var domain = data.Domains[d];
            int count = Math.Min(64, domain.Count);
            if (domain.Channels != 1 || count == 0)
            {
                continue;
            }

            int pixels = domain.Height * domain.Width;
            var images = new float[count * pixels];
            for (int i = 0; i < count; i++)
            {
                domain.CopyImage(i, images.AsSpan(i * pixels, pixels));
            }

            string name = data.Domains.Count == 1 ? "real.png" : $"real_{d + 1}.png";
            SaveGrid(Path.Combine(directory, name), new SampleGrid(images, count, domain.Height, domain.Width, 8));
        }
    }

    /// <summary>Ctrl+C and SIGTERM, while <see cref="Fit"/> runs without a token of its caller's: the first stops it after the step.</summary>
    private sealed class InterruptStop : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly PosixSignalRegistration[] _signals;

        public InterruptStop()
        {
            _signals = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
        }

        public CancellationToken Token => _stop.Token;

        public void Dispose()
        {
            foreach (var signal in _signals)
            {
                signal.Dispose();
            }

            _stop.Dispose();
        }

        private void Handle(PosixSignalContext context)
        {
            // The first one stops after the current step (and its checkpoint); a second one takes the default: exit.
            if (!_stop.IsCancellationRequested)
            {
                context.Cancel = true;
                _stop.Cancel();
            }
        }
    }

    /// <summary>Uploads <paramref name="data"/> to the backend (once per dataset: the last one uploaded is kept) after the step has checked it fits.</summary>
    public DeviceDataset Upload(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_data is null || !ReferenceEquals(_data.Data, data))
        {
            _step.CheckData(data);
            DisposeGraphs();
            _data?.Dispose();
            _data = null;
            _data = new DeviceDataset(_backend, data);
        }

        return _data;
    }

    /// <summary>
    /// One training step on the batch at <paramref name="position"/> of <paramref name="data"/>'s order (the data
    /// <see cref="Upload"/> returned last): the step's <see cref="TrainingStep.Run"/>, directly or replayed.
    /// </summary>
    public void Step(DeviceDataset data, int position)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!ReferenceEquals(data, _data))
        {
            throw new ArgumentException("Step runs on the data this trainer uploaded last (Trainer.Upload).", nameof(data));
        }

        int b = _step.BatchSize;
        if (position < 0 || position + b > data.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"A batch of {b} from position {position} does not fit in {data.Count} images.");
        }

        // The position counter points at the next batch: the step's first launch moves it past this one.
        if (_position.Value != (ulong)position)
        {
            _backend.SetCounter(_position, (ulong)position);
        }

        int phase = _step.PhaseOf(StepCount);
        if (CapturingSteps)
        {
            ReplayStep(phase);
        }
        else
        {
            RunBody(phase);
        }

        _windowSteps++;
        ulong recorded = _phaseStatistics.GetValueOrDefault(phase);
        for (int i = 0; i < _windowCounts.Length; i++)
        {
            if ((recorded & (1UL << i)) != 0)
            {
                _windowCounts[i]++;
            }
        }
    }

    /// <summary>Averages of the statistics over the steps since the last <see cref="ReadStats"/> (or the start), and starts a new window.</summary>
    public StatisticValues ReadStats()
    {
        PeekWindow();
        var stats = WindowStatistics();
        ResetWindow();
        return stats;
    }

    /// <summary>Writes the step's sample grid to <paramref name="path"/> as PNG; null when the step has none.</summary>
    public string? SaveSamples(string path) => _step.Samples() is { } grid ? SaveGrid(path, grid) : null;

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the trainer's graphs, data and counters (not the step, which its creator disposes).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeGraphs();
            _data?.Dispose();
            _steps.Dispose();
            _position.Dispose();
            _epochs.Dispose();
        }
    }

    private static string SaveGrid(string path, SampleGrid grid)
    {
        ImageGrid.Save(path, grid.Pixels, grid.Count, grid.Height, grid.Width, grid.Columns, padding: 2, scale: 2);
        return path;
    }

    // The graph for this phase: its first step runs directly (it loads kernels and lets cuBLAS pick its algorithms),
    // the second is captured, and every later one replays. Anything a graph baked in changing (the data, the step's
    // settings, the optimizers' settings, fusion, train mode, the activation arenas' sizes and so their addresses)
    // makes a new one.
    private void ReplayStep(int phase)
    {
        FillKey();
        if (_graphs.TryGetValue(phase, out var slot) && (!ReferenceEquals(slot.Data, _data) || !slot.Key.AsSpan().SequenceEqual(_keyScratch)))
        {
            slot.Graph?.Dispose();
            _graphs.Remove(phase);
            _context.Reset();
            slot = null;
        }

        if (slot is null || slot.Failed)
        {
            _graphs[phase] = slot ?? new CapturedStep(_data!, (int[])_keyScratch.Clone(), null, false);
            RunBody(phase);
            return;
        }

        if (slot.Graph is null)
        {
            try
            {
                var graph = _backend.Capture(() => RunBody(phase));
                _graphs[phase] = slot with { Graph = graph };
                graph.Launch();
                return;
            }
            catch (Exception e) when (e is Cuda.CudaException or InvalidOperationException or NotSupportedException)
            {
                // Nothing ran and the counters are as they were: carry on call by call, and say so once.
                _graphs[phase] = slot with { Failed = true };
                _options.Log?.WriteLine($"note: could not capture the training step as a graph ({e.Message.Split('\n')[0]}); running it call by call");
                RunBody(phase);
                return;
            }
        }

        slot.Graph.Launch();
    }

    // The step's body: the context's first launch moves the counters, then the step's calls.
    private void RunBody(int phase)
    {
        if (_step.Version != _stepVersion)
        {
            // The step changed what it bakes in (and perhaps which optimizers a phase updates): learn each phase again.
            _context.Reset();
            _stepVersion = _step.Version;
        }

        _context.Begin(phase);
        _step.Run(_context);
        _context.End();
        _phaseStatistics[phase] = _context.Touched;
    }

    // What a captured graph bakes in, as numbers: the step's version, each network's fusion, mode and arena size,
    // each optimizer's settings version.
    private void FillKey()
    {
        int k = 0;
        _keyScratch[k++] = _step.Version;
        var networks = _step.Networks;
        for (int i = 0; i < networks.Count; i++)
        {
            var network = networks[i].Network;
            _keyScratch[k++] = network.FuseKernels ? 1 : 0;
            _keyScratch[k++] = network.Training ? 1 : 0;
            _keyScratch[k++] = network.Capacity;
        }

        var optimizers = _step.Optimizers;
        for (int i = 0; i < optimizers.Count; i++)
        {
            _keyScratch[k++] = optimizers[i].Optimizer.SettingsVersion;
        }
    }

    private sealed record CapturedStep(DeviceDataset Data, int[] Key, StepGraph? Graph, bool Failed);

    private void DisposeGraphs()
    {
        foreach (var graph in _graphs.Values)
        {
            graph.Graph?.Dispose();
        }

        _graphs.Clear();
    }

    private void PeekWindow() => _backend.Download(_step.StatisticSums, _windowHost.AsSpan(0, _step.StatisticSums.Length));

    private void ResetWindow()
    {
        _backend.Fill(_step.StatisticSums, 0f);
        _windowSteps = 0;
        Array.Clear(_windowCounts);
    }

    private StatisticValues WindowStatistics()
    {
        var sums = new double[_windowCounts.Length];
        for (int i = 0; i < sums.Length; i++)
        {
            sums[i] = _windowHost[i];
        }

        return new StatisticValues(_step.Statistics, sums, _windowCounts, _windowSteps);
    }

    /// <summary>Moves the device window into the epoch's sums and, when a log is kept, adds a log point.</summary>
    private void FlushWindow(int epoch, Stopwatch windowClock)
    {
        if (_windowSteps == 0)
        {
            return;
        }

        PeekWindow();
        var stats = WindowStatistics();
        if (_backend.IsAsynchronous)
        {
            CheckGradients();
        }

        if (stats.FirstNonFinite is { } bad)
        {
            throw Diverged($"{bad.Name} is not finite ({stats})");
        }

        for (int i = 0; i < _epochSums.Length; i++)
        {
            _epochSums[i] += _windowHost[i];
            _epochCounts[i] += _windowCounts[i];
        }

        _epochSteps += _windowSteps;
        Log?.Add(new LogPoint(StepCount, epoch, [.. stats.Values], _windowSteps * _step.BatchSize / windowClock.Elapsed.TotalSeconds));
        windowClock.Restart();
        ResetWindow();
    }

    /// <summary>Averages of the epoch so far, plus (for the progress bar) the unflushed window.</summary>
    private StatisticValues EpochStatistics(bool includeWindow)
    {
        var sums = (double[])_epochSums.Clone();
        var counts = (long[])_epochCounts.Clone();
        long steps = _epochSteps;
        if (includeWindow)
        {
            PeekWindow();
            for (int i = 0; i < sums.Length; i++)
            {
                sums[i] += _windowHost[i];
                counts[i] += _windowCounts[i];
            }

            steps += _windowSteps;
        }

        return new StatisticValues(_step.Statistics, sums, counts, steps);
    }

    // The window's statistic sums are a handful of floats: a NaN or infinite loss stays so in its sum, so reading them
    // after each step catches it within that step.
    private void CheckWindow()
    {
        PeekWindow();
        for (int i = 0; i < _windowCounts.Length; i++)
        {
            if (!float.IsFinite(_windowHost[i]))
            {
                var stats = WindowStatistics();
                throw Diverged($"{_step.Statistics[i].Name} is not finite ({stats})");
            }
        }
    }

    private void CheckGradients()
    {
        // The update pass flags NaN or infinite gradients as it reads them; reading the flags is cheap on the CPU.
        var optimizers = _step.Optimizers;
        for (int i = 0; i < optimizers.Count; i++)
        {
            var (name, optimizer) = optimizers[i];
            if (optimizer.TakeNonFiniteFlag())
            {
                string networks = string.Join(" and ", optimizer.Networks.Select(n => $"the {PartName(n)} {n.Layout.Name}"));
                throw Diverged($"the update {name} applies to {networks} met NaN or infinity (in a gradient, a second moment or a parameter: the learning rate may be too high)");
            }
        }
    }

    private string PartName(Network network) => _step.Networks.First(n => ReferenceEquals(n.Network, network)).Name;

    private TrainingDivergedException Diverged(string what) => new(
        $"Training diverged at step {StepCount} (epoch {EpochCount + 1}): {what}. " +
        (LastCheckpoint is not null
            ? $"The last good checkpoint is kept: {LastCheckpoint}; resume from it, perhaps with a lower learning rate."
            : _options.CheckpointDirectory is null
                ? "No checkpoint was written before it (set a checkpoint directory to keep one)."
                : $"No checkpoint was written before it (the first comes at the end of epoch {Math.Max(1, _options.CheckpointEvery)}); start again, perhaps with a lower learning rate."));

    private static string Describe(EpochResult r, int epochs)
    {
        string width = epochs.ToString(CultureInfo.InvariantCulture);
        string epoch = r.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width.Length);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{width}  {r.Stats}  {r.ImagesPerSecond:N0} img/s  elapsed {r.Elapsed:hh\\:mm\\:ss}");
        return r.SamplePath is null ? line : line + "  samples " + r.SamplePath;
    }
}
