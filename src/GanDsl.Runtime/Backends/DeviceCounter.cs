using System.ComponentModel;

namespace GanDsl.Backends;

/// <summary>
/// A 64-bit counter kept where the backend's kernels read it (device memory on a GPU), such as the step
/// number that positions the random numbers of a training step. Kernels take a <see cref="CounterValue"/>
/// derived from it rather than a number, so a step captured once as a CUDA graph replays with the
/// counter's current value. The host keeps <see cref="Value"/> in step with the device.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DeviceCounter : IDisposable
{
    internal DeviceCounter(Backend backend, int slot, ulong value)
    {
        Backend = backend;
        Slot = slot;
        Value = value;
    }

    /// <summary>The backend whose kernels read this counter.</summary>
    public Backend Backend { get; }

    /// <summary>
    /// The value the counter holds once all work queued so far has run. The host's copy: reading it
    /// never waits for the device.
    /// </summary>
    public ulong Value { get; internal set; }

    /// <summary>Where the counter lives in its backend's counter memory.</summary>
    internal int Slot { get; }

    internal bool Disposed { get; private set; }

    /// <summary><c>scale * counter + offset</c>, evaluated where the kernel runs.</summary>
    public CounterValue Times(ulong scale, ulong offset = 0) => new(this, scale, offset);

    /// <summary>The counter's value as a kernel argument.</summary>
    public static implicit operator CounterValue(DeviceCounter counter) => new(counter, 1, 0);

    /// <inheritdoc />
    public void Dispose()
    {
        if (!Disposed)
        {
            Disposed = true;
            Backend.ReleaseCounter(this);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"counter {Slot} = {Value}";
}

/// <summary>
/// A kernel's 64-bit argument: a constant, or <c>Scale * counter + Offset</c> for a
/// <see cref="DeviceCounter"/>, read when the kernel runs (so a replayed CUDA graph sees the counter's
/// value at that time). Any <see cref="ulong"/> converts to a constant.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct CounterValue : IEquatable<CounterValue>
{
    /// <summary><c>scale * counter + offset</c>; a null counter makes the constant <paramref name="offset"/>.</summary>
    public CounterValue(DeviceCounter? counter, ulong scale, ulong offset)
    {
        Counter = counter;
        Scale = counter is null ? 0 : scale;
        Offset = offset;
    }

    /// <summary>The counter read at run time, or null for a constant.</summary>
    public DeviceCounter? Counter { get; }

    /// <summary>Factor on the counter.</summary>
    public ulong Scale { get; }

    /// <summary>Added to the product (the whole value for a constant).</summary>
    public ulong Offset { get; }

    /// <summary>The value the kernel will see, from the counter's host copy.</summary>
    public ulong Resolve() => Offset + (Counter is null ? 0 : Scale * Counter.Value);

    /// <summary>This value plus <paramref name="delta"/>.</summary>
    public CounterValue Plus(ulong delta) => new(Counter, Scale, Offset + delta);

    /// <summary>A constant.</summary>
    public static implicit operator CounterValue(ulong value) => new(null, 0, value);

    /// <inheritdoc />
    public bool Equals(CounterValue other) => ReferenceEquals(Counter, other.Counter) && Scale == other.Scale && Offset == other.Offset;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CounterValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Counter, Scale, Offset);

    /// <summary>Same counter, scale and offset.</summary>
    public static bool operator ==(CounterValue left, CounterValue right) => left.Equals(right);

    /// <summary>Not the same.</summary>
    public static bool operator !=(CounterValue left, CounterValue right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Counter is null ? Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Scale} x ({Counter}) + {Offset}";
}

/// <summary>
/// A training step (or any run of backend calls) recorded once and replayed: on CUDA a CUDA graph,
/// launched with one call. Replaying also moves the host copies of the counters the recorded calls
/// added to, as running the calls again would.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class StepGraph : IDisposable
{
    private readonly (DeviceCounter Counter, ulong Delta)[] _increments;

    /// <summary>A graph whose replay adds <paramref name="increments"/> to those counters.</summary>
    protected StepGraph(IEnumerable<(DeviceCounter Counter, ulong Delta)> increments) => _increments = increments.ToArray();

    /// <summary>The operations (kernels, copies, fills) one replay runs, when the backend can say; else 0.</summary>
    public int NodeCount { get; init; }

    /// <summary>
    /// The most operations one replay runs one after another: the longest path along the graph's dependencies, in
    /// nodes. Below <see cref="NodeCount"/> when side branches (<see cref="Backend.BeginBranch"/>) run beside the
    /// main line. 0 when the backend cannot say.
    /// </summary>
    public int LongestChain { get; init; }

    /// <summary>Queues one replay.</summary>
    public void Launch()
    {
        foreach (var (counter, delta) in _increments)
        {
            if (counter.Disposed)
            {
                throw new ObjectDisposedException(nameof(DeviceCounter), "A counter this graph adds to was disposed.");
            }
        }

        LaunchCore();
        foreach (var (counter, delta) in _increments)
        {
            counter.Value += delta;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Queues the recorded work once.</summary>
    protected abstract void LaunchCore();

    /// <summary>Releases the graph.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
