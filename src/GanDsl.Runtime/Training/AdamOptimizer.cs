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

    /// <summary>Allocates zeroed moments for <paramref name="network"/>.</summary>
    public AdamOptimizer(Network network, AdamSettings settings)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        Settings = settings;
        _m = network.Backend.Allocate(network.ParameterCount);
        _v = network.Backend.Allocate(network.ParameterCount);
    }

    /// <summary>Learning rate, betas, epsilon, weight decay.</summary>
    public AdamSettings Settings { get; set; }

    /// <summary>Updates taken so far (Adam's t).</summary>
    public long StepCount { get; private set; }

    /// <summary>The first-moment estimates, in the parameters' layout.</summary>
    public Tensor FirstMoment => _m.All;

    /// <summary>The second-moment estimates, in the parameters' layout.</summary>
    public Tensor SecondMoment => _v.All;

    /// <summary>Applies the network's current gradients.</summary>
    public void Step()
    {
        StepCount++;
        _network.Backend.Adam(_network.Parameters, _network.Gradients, _m.All, _v.All, Settings, StepCount);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _m.Dispose();
        _v.Dispose();
    }
}
