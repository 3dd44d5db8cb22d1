using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Randomness;

namespace GanDsl.Tests.Backends;

/// <summary>
/// Counters as kernel arguments, on the CPU backend: a counter-derived value draws and gathers exactly
/// what the constant it stands for does, counters move with Set and Add, belong to one backend, and the
/// CPU refuses to capture graphs with a clear message.
/// </summary>
public sealed class DeviceCounterTests
{
    private readonly CpuBackend _backend = new(1);

    [Fact]
    public void CounterValuesResolveToScaleTimesCounterPlusOffset()
    {
        using var counter = _backend.CreateCounter(7);
        Assert.Equal(7UL, counter.Value);
        Assert.Equal(7UL, ((CounterValue)counter).Resolve());
        Assert.Equal(3 * 7 + 2UL, counter.Times(3, 2).Resolve());
        Assert.Equal(3 * 7 + 5UL, counter.Times(3, 2).Plus(3).Resolve());
        Assert.Equal(42UL, ((CounterValue)42UL).Resolve());
        _backend.AddToCounter(counter, 5);
        Assert.Equal(12UL, counter.Value);
        _backend.SetCounter(counter, 1);
        Assert.Equal(10UL, counter.Times(10).Resolve());
    }

    [Fact]
    public void SeveralCountersMoveInOneCallAndAWrappedOffsetReadsBehindACounter()
    {
        using var a = _backend.CreateCounter(1);
        using var b = _backend.CreateCounter(10);
        _backend.AddToCounters([(a, 2), (b, 64)]);
        Assert.Equal((3UL, 74UL), (a.Value, b.Value));

        // b - 64, as the trainer reads the batch position after moving it to the next batch.
        Assert.Equal(10UL, b.Times(1, unchecked((ulong)-64)).Resolve());

        Assert.Throws<ArgumentException>(() => _backend.AddToCounters([(a, 1), (a, 1)]));
        using var c = _backend.CreateCounter();
        using var d = _backend.CreateCounter();
        using var e = _backend.CreateCounter();
        Assert.Throws<ArgumentException>(() => _backend.AddToCounters([(a, 1), (b, 1), (c, 1), (d, 1), (e, 1)]));
        Assert.Equal((3UL, 74UL), (a.Value, b.Value));
    }

    [Fact]
    public void KernelsReadTheCounterAsTheConstantItStandsFor()
    {
        using var counter = _backend.CreateCounter(4);
        var viaCounter = _backend.Allocate(100).All;
        var viaConstant = _backend.Allocate(100).All;
        _backend.RandomNormal(viaCounter, 3, 9, counter.Times(25, 1));
        _backend.RandomNormal(viaConstant, 3, 9, 101);
        Assert.Equal(viaConstant.Span.ToArray(), viaCounter.Span.ToArray());

        var expected = new float[100];
        Philox.FillNormal(expected, 3, 9, 101);
        Assert.Equal(expected, viaCounter.Span.ToArray());

        var pixels = Enumerable.Range(0, 40).Select(i => (byte)(i * 6)).ToArray();
        using var images = _backend.CreateImageSet(pixels, 10, 4, Enumerable.Range(0, 10).Select(i => (byte)i).ToArray());
        var a = _backend.Allocate(8).View(0, 2, 4);
        var b = _backend.Allocate(8).View(0, 2, 4);
        _backend.GatherImages(images, counter.Times(2), a);
        _backend.GatherImages(images, 8, b);
        Assert.Equal(b.Span.ToArray(), a.Span.ToArray());
        var labels = _backend.Allocate(2).View(0, 2, 1);
        _backend.GatherLabels(images, counter.Times(1, 3), labels);
        Assert.Equal([7f, 8f], labels.Span.ToArray());

        // A position past the end is refused before any kernel runs.
        Assert.Throws<ArgumentException>(() => _backend.GatherImages(images, counter.Times(3), a));
    }

    [Fact]
    public void AdamReadsItsStepFromACounter()
    {
        var p1 = _backend.Allocate(3 * 10);
        var p2 = _backend.Allocate(3 * 10);
        var g = _backend.Allocate(10).All;
        _backend.Fill(g, 0.3f);
        using var step = _backend.CreateCounter(2);
        _backend.Adam(p1.View(0, 1, 10), g, p1.View(10, 1, 10), p1.View(20, 1, 10), new AdamSettings(), step.Times(1, 1));
        _backend.Adam(p2.View(0, 1, 10), g, p2.View(10, 1, 10), p2.View(20, 1, 10), new AdamSettings(), 3);
        Assert.Equal(p2.All.Span.ToArray(), p1.All.Span.ToArray());
        using var zero = _backend.CreateCounter(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.Adam(p1.View(0, 1, 10), g, p1.View(10, 1, 10), p1.View(20, 1, 10), new AdamSettings(), zero));
    }

    [Fact]
    public void CountersBelongToTheirBackendAndAreRecycled()
    {
        using var other = new CpuBackend(1);
        using var foreign = other.CreateCounter();
        Assert.Throws<ArgumentException>(() => _backend.RandomNormal(_backend.Allocate(4).All, 1, 1, foreign));
        Assert.Throws<ArgumentException>(() => _backend.AddToCounter(foreign, 1));

        var disposed = _backend.CreateCounter();
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _backend.SetCounter(disposed, 3));

        // Slots are reused, so creating and disposing many never runs out.
        for (int i = 0; i < 3 * Backend.MaxCounters; i++)
        {
            _backend.CreateCounter().Dispose();
        }
    }

    [Fact]
    public void TheCpuSaysItCannotCapture()
    {
        Assert.False(_backend.SupportsCapture);
        Assert.False(_backend.IsAsynchronous);
        var e = Assert.Throws<NotSupportedException>(() => _backend.Capture(() => { }));
        Assert.Contains("cpu backend cannot capture", e.Message);
    }
}
