using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>Two images stacked as channels (Pix2Pix's discriminator input) and the gradient split back.</summary>
public sealed class ChannelsTests
{
    [Fact]
    public void StacksEachPixelsChannelsAndSplitsThemBack()
    {
        using var backend = new CpuBackend(1);
        // Two rows of 3 pixels: a has 1 channel, b has 2.
        float[] a = [1, 2, 3, 4, 5, 6];
        float[] b = [10, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60, 61];
        using var memory = backend.Allocate(100);
        var (ta, tb, y) = (memory.View(0, 2, 3), memory.View(6, 2, 6), memory.View(18, 2, 9));
        backend.Upload(a, ta);
        backend.Upload(b, tb);
        backend.ConcatChannels(ta, tb, y, pixels: 3);
        var stacked = new float[18];
        backend.Download(y, stacked);
        Assert.Equal([1, 10, 11, 2, 20, 21, 3, 30, 31, 4, 40, 41, 5, 50, 51, 6, 60, 61], stacked);

        // The gradient: each part back, or only the image's part.
        var (da, db) = (memory.View(40, 2, 3), memory.View(50, 2, 6));
        backend.SplitChannels(y, da, db, pixels: 3);
        Assert.Equal(a, Host(backend, da));
        Assert.Equal(b, Host(backend, db));
        backend.Fill(db, 0f);
        backend.SplitChannels(y, default, db, pixels: 3);
        Assert.Equal(b, Host(backend, db));
    }

    [Fact]
    public void MismatchedShapesAreRefused()
    {
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate(100);
        var e = Assert.Throws<ArgumentException>(() => backend.ConcatChannels(memory.View(0, 2, 3), memory.View(6, 2, 6), memory.View(18, 2, 8), 3));
        Assert.Contains("as channels of 3 pixels", e.Message);
        Assert.Throws<ArgumentException>(() => backend.SplitChannels(memory.View(18, 2, 9), default, default, 3));
        Assert.Throws<ArgumentException>(() => backend.SplitChannels(memory.View(18, 2, 9), memory.View(40, 2, 9), default, 3));
    }

    private static float[] Host(Backend backend, Tensor tensor)
    {
        var values = new float[tensor.Length];
        backend.Download(tensor, values);
        return values;
    }
}
