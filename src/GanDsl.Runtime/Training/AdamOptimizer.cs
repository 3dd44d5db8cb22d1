using GanDsl.Backends;

namespace GanDsl.Training;

/// <summary>
/// Adam over a network's whole parameter buffer: one fused pass per step, its two moment buffers
/// laid out like the parameters.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private readonly Network _network;
    private readonly DeviceBuffer _m;
    private readonly DeviceBuffer _v;
    private readonly DeviceBuffer _nonFinite;
    private readonly float[] _flag = new float[1];

    /// <summary>Allocates zeroed moments for <paramref name="network"/>.</summary>
    public AdamOptimizer(Network network, AdamSettings settings)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        Settings = settings;
        _m = network.Backend.Allocate(network.ParameterCount);
        _v = network.Backend.Allocate(network.ParameterCount);
        _nonFinite = network.Backend.Allocate(1);
    }

    /// <summary>Learning rate, betas, epsilon, weight decay.</summary>
    public AdamSettings Settings { get; set; }

    /// <summary>Updates taken so far (Adam's t).</summary>
    public long StepCount { get; set; }

    /// <summary>The network whose parameters this optimizer updates.</summary>
    public Network Network => _network;

    /// <summary>The first-moment estimates, in the parameters' layout.</summary>
    public Tensor FirstMoment => _m.All;

    /// <summary>The second-moment estimates, in the parameters' layout.</summary>
    public Tensor SecondMoment => _v.All;

    /// <summary>Applies the network's current gradients.</summary>
    public void Step()
    {
        StepCount++;
        _network.Backend.Adam(_network.Parameters, _network.Gradients, _m.All, _v.All, Settings, StepCount, _nonFinite.All);
    }

    /// <summary>
    /// Whether any gradient applied since the last call was NaN or infinite (the Adam pass flags them as
    /// it goes); reading it waits for the device, so call it as often as you can afford.
    /// </summary>
    public bool TakeNonFiniteFlag()
    {
        _network.Backend.Download(_nonFinite.All, _flag);
        if (_flag[0] == 0f)
        {
            return false;
        }

        _network.Backend.Fill(_nonFinite.All, 0f);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _m.Dispose();
        _v.Dispose();
        _nonFinite.Dispose();
    }
}
