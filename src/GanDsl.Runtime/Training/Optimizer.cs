using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// Updates the parameters of one or more networks (a parameter group: InfoGAN's generator and Q head, CycleGAN's two
/// generators) from their gradients, one fused launch per network buffer, with its state (moments) laid out like the
/// parameters. The pass also flags NaN or infinite values it writes (<see cref="TakeNonFiniteFlag"/>), so divergence is
/// caught without another read. A <see cref="Schedule"/> scales the learning rate from the epoch counter on the device, so a
/// replayed step follows it.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly DeviceBuffer _nonFinite;
    private readonly DeviceCounter _steps;
    private readonly float[] _flag = new float[1];
    private DeviceBuffer? _rateScale;
    private LearningRateSchedule _schedule = LearningRateSchedule.Constant;
    private (DeviceCounter Epoch, ScalarProgram Program)? _scheduleProgram;
    private int _settingsVersion;

    /// <summary>An optimizer for <paramref name="network"/>.</summary>
    protected Optimizer(Network network)
        : this([network])
    {
    }

    /// <summary>An optimizer for the parameters of <paramref name="networks"/> together (each network's buffer updated in one launch).</summary>
    protected Optimizer(IReadOnlyList<Network> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        if (networks.Count == 0 || networks.Any(n => n is null))
        {
            throw new ArgumentException("An optimizer needs at least one network, and no null ones.", nameof(networks));
        }

        if (networks.Distinct().Count() != networks.Count)
        {
            throw new ArgumentException("A network appears twice in the optimizer's group: its parameters would be updated twice per step.", nameof(networks));
        }

        var backend = networks[0].Backend;
        if (networks.Any(n => !ReferenceEquals(n.Backend, backend)))
        {
            throw new ArgumentException("The networks of one optimizer must live on the same backend.", nameof(networks));
        }

        Networks = [.. networks];
        Backend = backend;
        if (SharedLayersProblem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(networks));
        }

        _nonFinite = backend.Allocate(1);
        _steps = backend.CreateCounter();
    }

    // Networks that share layers (SharedWithAttribute) are updated by one optimizer or none: the shared parameters live in
    // the owner's buffer and get both networks' gradients, so an optimizer with only one of them would train them on half.
    private string? SharedLayersProblem()
    {
        for (int i = 0; i < Networks.Count; i++)
        {
            var network = Networks[i];
            if (network.SharedWith is { } owner && !Holds(owner))
            {
                return $"{network.Layout.Name} shares layers with {owner.Layout.Name}, whose buffer holds their parameters: give both networks to one optimizer.";
            }

            for (int j = 0; j < network.Sharers.Count; j++)
            {
                var sharer = network.Sharers[j];
                if (!Holds(sharer))
                {
                    return $"{sharer.Layout.Name} shares layers with {network.Layout.Name}, and their gradients add up: give both networks to one optimizer.";
                }
            }
        }

        return null;
    }

    private bool Holds(Network network)
    {
        for (int i = 0; i < Networks.Count; i++)
        {
            if (ReferenceEquals(Networks[i], network))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The networks whose parameters this optimizer updates.</summary>
    public IReadOnlyList<Network> Networks { get; }

    /// <summary>The first (for most optimizers the only) network of <see cref="Networks"/>.</summary>
    public Network Network => Networks[0];

    /// <summary>The backend the networks and the optimizer's state live on.</summary>
    public Backend Backend { get; }

    /// <summary>Parameters updated, over all networks.</summary>
    public long ParameterCount => Networks.Sum(n => n.ParameterCount);

    /// <summary>Updates taken so far (kept in a counter the update kernel reads, for its bias correction).</summary>
    public long StepCount
    {
        get => (long)_steps.Value;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Backend.SetCounter(_steps, (ulong)value);
        }
    }

    /// <summary>The hyper-parameters; may be changed between steps.</summary>
    public OptimizerSettings Settings
    {
        get => CurrentSettings;
        set
        {
            CurrentSettings = value;
            _settingsVersion++;
        }
    }

    /// <summary>Changes each time <see cref="Settings"/> or <see cref="Schedule"/> is set, so a captured step that baked the old ones is recaptured.</summary>
    public int SettingsVersion => _settingsVersion;

    /// <summary>
    /// How the learning rate changes over epochs (default <see cref="LearningRateSchedule.Constant"/>): its factor is
    /// computed on the device from the trainer's epoch counter before each update.
    /// </summary>
    public LearningRateSchedule Schedule
    {
        get => _schedule;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _schedule = value;
            _scheduleProgram = null;
            _settingsVersion++;
        }
    }

    /// <summary>The hyper-parameters as the subclass keeps them.</summary>
    protected abstract OptimizerSettings CurrentSettings { get; set; }

    /// <summary>The step number as the update kernel reads it: <see cref="StepCount"/> once this step's increment has run.</summary>
    protected CounterValue StepNumber => _steps;

    /// <summary>The learning-rate factor the update reads (one float), or empty when the rate is constant.</summary>
    protected Tensor LearningRateScale => _schedule.IsConstant ? default : _rateScale?.All ?? default;

    /// <summary>The optimizer's state tensors of <see cref="Network"/> by name (for checkpoints), each laid out like its parameters.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> State => StateOf(0);

    /// <summary>The optimizer's state tensors for network <paramref name="index"/> of <see cref="Networks"/>, by name.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Tensor)> StateOf(int index);

    /// <summary>Creates the optimizer <paramref name="settings"/> describe, for the parameters of <paramref name="networks"/>.</summary>
    public static Optimizer Create(OptimizerSettings settings, params Network[] networks) => settings switch
    {
        AdamSettings adam => new AdamOptimizer(networks, adam),
        RmsPropSettings rms => new RmsPropOptimizer(networks, rms),
        _ => throw new ArgumentException($"Unknown optimizer settings {settings?.GetType().Name ?? "null"}.", nameof(settings)),
    };

    /// <summary>Creates the optimizer <paramref name="settings"/> describe, for <paramref name="network"/>.</summary>
    public static Optimizer Create(Network network, OptimizerSettings settings) => Create(settings, network);

    /// <summary>Applies the networks' current gradients (first adding each sharing network's gradients of the shared layers to the owner's).</summary>
    public void Step()
    {
        Backend.AddToCounter(_steps, 1);
        StepCounted();
    }

    /// <summary>
    /// The counter holding <see cref="StepCount"/>, for a caller that advances it together with others in
    /// one launch (<see cref="Backend.AddToCounters"/>) and then calls <see cref="StepCounted"/>.
    /// </summary>
    public DeviceCounter StepCounter => _steps;

    /// <summary>
    /// Applies the networks' current gradients, <see cref="StepCounter"/> having been advanced already (first adding each
    /// sharing network's gradients of the shared layers to the owner's, as <see cref="Step"/> does).
    /// </summary>
    public void StepCounted()
    {
        if (SharedLayersProblem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        for (int i = 0; i < Networks.Count; i++)
        {
            Networks[i].AddSharedGradientsToOwner();
        }

        StepCore(_nonFinite.All);
    }

    /// <summary>
    /// Sets the learning-rate factor from <see cref="Schedule"/> at <paramref name="epoch"/> (the epochs completed, as a
    /// counter), on the device; nothing for a constant rate. The trainer calls it before each update.
    /// </summary>
    public void UpdateSchedule(DeviceCounter epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        if (_schedule.IsConstant)
        {
            return;
        }

        _rateScale ??= Backend.Allocate(1);
        if (_scheduleProgram is not { } cached || !ReferenceEquals(cached.Epoch, epoch))
        {
            cached = (epoch, new ScalarProgram(new ScalarAssignment(_rateScale.All, _schedule.Factor(ScalarExpr.Counter(epoch)))));
            _scheduleProgram = cached;
        }

        Backend.Evaluate(cached.Program);
    }

    /// <summary>
    /// Whether any update since the last call wrote a NaN or infinite second moment or parameter (which a NaN or infinite
    /// gradient, or one too large to square, does); reading it waits for the device, so call it as often as you can afford.
    /// </summary>
    public bool TakeNonFiniteFlag()
    {
        Backend.Download(_nonFinite.All, _flag);
        if (_flag[0] == 0f)
        {
            return false;
        }

        Backend.Fill(_nonFinite.All, 0f);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The update itself; set <paramref name="nonFinite"/> to 1 on a NaN or infinite gradient.</summary>
    protected abstract void StepCore(Tensor nonFinite);

    /// <summary>Frees the state.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _nonFinite.Dispose();
            _steps.Dispose();
            _rateScale?.Dispose();
        }
    }

    /// <summary>Checks that <paramref name="settings"/> are of type <typeparamref name="T"/>.</summary>
    protected static T Require<T>(OptimizerSettings settings)
        where T : OptimizerSettings =>
        settings as T ?? throw new ArgumentException($"Expected {typeof(T).Name}, got {settings?.GetType().Name ?? "null"}.", nameof(settings));

    /// <summary><paramref name="networks"/>, once <paramref name="settings"/> is known not to be null (checked before the base allocates).</summary>
    protected static IReadOnlyList<Network> RequireSettings(IReadOnlyList<Network> networks, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return networks;
    }

    /// <summary>One zeroed buffer per network, each as long as its parameters.</summary>
    protected DeviceBuffer[] StatePerNetwork() => [.. Networks.Select(n => Backend.Allocate(n.ParameterCount))];
}

/// <summary>Adam (Kingma and Ba 2015, PyTorch's form) over whole parameter buffers.</summary>
public sealed class AdamOptimizer : Optimizer
{
    private readonly DeviceBuffer[] _m;
    private readonly DeviceBuffer[] _v;
    private AdamSettings _settings;

    /// <summary>Allocates zeroed moments for <paramref name="network"/>.</summary>
    public AdamOptimizer(Network network, AdamSettings settings)
        : this([network], settings)
    {
    }

    /// <summary>Allocates zeroed moments for every network of the group.</summary>
    public AdamOptimizer(IReadOnlyList<Network> networks, AdamSettings settings)
        : base(RequireSettings(networks, settings))
    {
        _settings = settings;
        _m = StatePerNetwork();
        _v = StatePerNetwork();
    }

    /// <inheritdoc />
    protected override OptimizerSettings CurrentSettings
    {
        get => _settings;
        set => _settings = Require<AdamSettings>(value);
    }

    /// <summary>The first-moment estimates of <see cref="Optimizer.Network"/>, in its parameters' layout.</summary>
    public Tensor FirstMoment => _m[0].All;

    /// <summary>The second-moment estimates of <see cref="Optimizer.Network"/>, in its parameters' layout.</summary>
    public Tensor SecondMoment => _v[0].All;

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Tensor)> StateOf(int index) => [("m", _m[index].All), ("v", _v[index].All)];

    /// <inheritdoc />
    protected override void StepCore(Tensor nonFinite)
    {
        for (int i = 0; i < Networks.Count; i++)
        {
            var network = Networks[i];
            Backend.Adam(network.Parameters, network.Gradients, _m[i].All, _v[i].All, _settings, StepNumber, nonFinite, LearningRateScale);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var buffer in _m.Concat(_v))
            {
                buffer.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}

/// <summary>RMSprop (PyTorch's form, no momentum) over whole parameter buffers.</summary>
public sealed class RmsPropOptimizer : Optimizer
{
    private readonly DeviceBuffer[] _squareAverage;
    private RmsPropSettings _settings;

    /// <summary>Allocates the zeroed square average for <paramref name="network"/>.</summary>
    public RmsPropOptimizer(Network network, RmsPropSettings settings)
        : this([network], settings)
    {
    }

    /// <summary>Allocates the zeroed square averages for every network of the group.</summary>
    public RmsPropOptimizer(IReadOnlyList<Network> networks, RmsPropSettings settings)
        : base(RequireSettings(networks, settings))
    {
        _settings = settings;
        _squareAverage = StatePerNetwork();
    }

    /// <inheritdoc />
    protected override OptimizerSettings CurrentSettings
    {
        get => _settings;
        set => _settings = Require<RmsPropSettings>(value);
    }

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Tensor)> StateOf(int index) => [("square_avg", _squareAverage[index].All)];

    /// <inheritdoc />
    protected override void StepCore(Tensor nonFinite)
    {
        for (int i = 0; i < Networks.Count; i++)
        {
            var network = Networks[i];
            Backend.RmsProp(network.Parameters, network.Gradients, _squareAverage[i].All, _settings, nonFinite, LearningRateScale);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var buffer in _squareAverage)
            {
                buffer.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// How an optimizer's learning rate changes over training: a factor of the epochs completed, computed on the device
/// (<see cref="ScalarExpr"/>), so a replayed step follows it.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The rate as set, always.</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>
    /// The rate as set through epoch <paramref name="lastFullEpoch"/> (counting from 1), then falling linearly so that
    /// it reaches zero after epoch <paramref name="lastEpoch"/>: CycleGAN's and Pix2Pix's schedule (n_epochs =
    /// lastFullEpoch, n_epochs_decay = lastEpoch - lastFullEpoch).
    /// </summary>
    public static LearningRateSchedule LinearDecay(int lastFullEpoch, int lastEpoch) => new LinearDecaySchedule(lastFullEpoch, lastEpoch);

    /// <summary>Whether the factor is always 1 (no device work).</summary>
    public virtual bool IsConstant => false;

    /// <summary>The factor on the learning rate, given the number of epochs completed (0 during the first epoch).</summary>
    public abstract ScalarExpr Factor(ScalarExpr epochsCompleted);

    /// <summary>The factor in the epoch that follows <paramref name="epochsCompleted"/> epochs, computed on the host, for logs and tests.</summary>
    public abstract double FactorAt(int epochsCompleted);

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override bool IsConstant => true;

        public override ScalarExpr Factor(ScalarExpr epochsCompleted) => 1f;

        public override double FactorAt(int epochsCompleted) => 1;

        public override string ToString() => "constant";
    }

    private sealed class LinearDecaySchedule : LearningRateSchedule
    {
        private readonly int _lastFull;
        private readonly int _last;

        public LinearDecaySchedule(int lastFullEpoch, int lastEpoch)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(lastFullEpoch);
            if (lastEpoch <= lastFullEpoch)
            {
                throw new ArgumentOutOfRangeException(nameof(lastEpoch), lastEpoch, $"The decay must end after it starts (epoch {lastFullEpoch}).");
            }

            _lastFull = lastFullEpoch;
            _last = lastEpoch;
        }

        // In epoch e = completed + 1: 1 - clamp((e - lastFull) / (last - lastFull + 1), 0, 1).
        public override ScalarExpr Factor(ScalarExpr epochsCompleted) =>
            1f - ScalarExpr.Clamp((epochsCompleted + (1f - _lastFull)) / (float)(_last - _lastFull + 1), 0f, 1f);

        public override double FactorAt(int epochsCompleted) =>
            1 - Math.Clamp((epochsCompleted + 1.0 - _lastFull) / (_last - _lastFull + 1), 0, 1);

        public override string ToString() => $"linear decay from epoch {_lastFull} to zero after epoch {_last}";
    }
}
