using GanDsl.Backends;

namespace GanDsl.Training;

/// <summary>
/// Updates a network's whole parameter buffer from its gradient buffer in one fused pass per step,
/// with its state (moments) laid out like the parameters. The pass also flags NaN or infinite
/// gradients (<see cref="TakeNonFiniteFlag"/>), so divergence is caught without another read.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly DeviceBuffer _nonFinite;
    private readonly DeviceCounter _steps;
    private readonly float[] _flag = new float[1];
    private int _settingsVersion;

    /// <summary>An optimizer for <paramref name="network"/>.</summary>
    protected Optimizer(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        _nonFinite = network.Backend.Allocate(1);
        _steps = network.Backend.CreateCounter();
    }

    /// <summary>The network whose parameters this optimizer updates.</summary>
    public Network Network { get; }

    /// <summary>Updates taken so far (kept in a counter the update kernel reads, for its bias correction).</summary>
    public long StepCount
    {
        get => (long)_steps.Value;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Network.Backend.SetCounter(_steps, (ulong)value);
        }
    }

    /// <summary>The hyper-parameters; may be changed between steps (for example a decaying learning rate).</summary>
    public OptimizerSettings Settings
    {
        get => CurrentSettings;
        set
        {
            CurrentSettings = value;
            _settingsVersion++;
        }
    }

    /// <summary>Changes each time <see cref="Settings"/> is set, so a captured step that baked the old ones can be recaptured.</summary>
    public int SettingsVersion => _settingsVersion;

    /// <summary>The hyper-parameters as the subclass keeps them.</summary>
    protected abstract OptimizerSettings CurrentSettings { get; set; }

    /// <summary>The step number as the update kernel reads it: <see cref="StepCount"/> once this step's increment has run.</summary>
    protected CounterValue StepNumber => _steps;

    /// <summary>The optimizer's state tensors by name (for checkpoints), each laid out like the parameters.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Tensor)> State { get; }

    /// <summary>Creates the optimizer <paramref name="settings"/> describe.</summary>
    public static Optimizer Create(Network network, OptimizerSettings settings) => settings switch
    {
        AdamSettings adam => new AdamOptimizer(network, adam),
        RmsPropSettings rms => new RmsPropOptimizer(network, rms),
        _ => throw new ArgumentException($"Unknown optimizer settings {settings?.GetType().Name ?? "null"}.", nameof(settings)),
    };

    /// <summary>Applies the network's current gradients.</summary>
    public void Step()
    {
        Network.Backend.AddToCounter(_steps, 1);
        StepCore(_nonFinite.All);
    }

    /// <summary>
    /// The counter holding <see cref="StepCount"/>, for a caller that advances it together with others in
    /// one launch (<see cref="Backend.AddToCounters"/>) and then calls <see cref="StepCounted"/>.
    /// </summary>
    public DeviceCounter StepCounter => _steps;

    /// <summary>Applies the network's current gradients, <see cref="StepCounter"/> having been advanced already.</summary>
    public void StepCounted() => StepCore(_nonFinite.All);

    /// <summary>
    /// Whether any gradient applied since the last call was NaN or infinite; reading it waits for the
    /// device, so call it as often as you can afford.
    /// </summary>
    public bool TakeNonFiniteFlag()
    {
        Network.Backend.Download(_nonFinite.All, _flag);
        if (_flag[0] == 0f)
        {
            return false;
        }

        Network.Backend.Fill(_nonFinite.All, 0f);
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
        }
    }

    /// <summary>Checks that <paramref name="settings"/> are of type <typeparamref name="T"/>.</summary>
    protected static T Require<T>(OptimizerSettings settings)
        where T : OptimizerSettings =>
        settings as T ?? throw new ArgumentException($"Expected {typeof(T).Name}, got {settings?.GetType().Name ?? "null"}.", nameof(settings));
}

/// <summary>Adam (Kingma and Ba 2015, PyTorch's form) over a network's whole parameter buffer.</summary>
public sealed class AdamOptimizer : Optimizer
{
    private readonly DeviceBuffer _m;
    private readonly DeviceBuffer _v;
    private AdamSettings _settings;

    /// <summary>Allocates zeroed moments for <paramref name="network"/>.</summary>
    public AdamOptimizer(Network network, AdamSettings settings)
        : base(network)
    {
        _settings = settings;
        _m = network.Backend.Allocate(network.ParameterCount);
        _v = network.Backend.Allocate(network.ParameterCount);
    }

    /// <inheritdoc />
    protected override OptimizerSettings CurrentSettings
    {
        get => _settings;
        set => _settings = Require<AdamSettings>(value);
    }

    /// <summary>The first-moment estimates, in the parameters' layout.</summary>
    public Tensor FirstMoment => _m.All;

    /// <summary>The second-moment estimates, in the parameters' layout.</summary>
    public Tensor SecondMoment => _v.All;

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Tensor)> State => [("m", _m.All), ("v", _v.All)];

    /// <inheritdoc />
    protected override void StepCore(Tensor nonFinite) =>
        Network.Backend.Adam(Network.Parameters, Network.Gradients, _m.All, _v.All, _settings, StepNumber, nonFinite);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _m.Dispose();
            _v.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>RMSprop (PyTorch's form, no momentum) over a network's whole parameter buffer.</summary>
public sealed class RmsPropOptimizer : Optimizer
{
    private readonly DeviceBuffer _squareAverage;
    private RmsPropSettings _settings;

    /// <summary>Allocates the zeroed square average for <paramref name="network"/>.</summary>
    public RmsPropOptimizer(Network network, RmsPropSettings settings)
        : base(network)
    {
        _settings = settings;
        _squareAverage = network.Backend.Allocate(network.ParameterCount);
    }

    /// <inheritdoc />
    protected override OptimizerSettings CurrentSettings
    {
        get => _settings;
        set => _settings = Require<RmsPropSettings>(value);
    }

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Tensor)> State => [("square_avg", _squareAverage.All)];

    /// <inheritdoc />
    protected override void StepCore(Tensor nonFinite) =>
        Network.Backend.RmsProp(Network.Parameters, Network.Gradients, _squareAverage.All, _settings, nonFinite);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _squareAverage.Dispose();
        }

        base.Dispose(disposing);
    }
}
