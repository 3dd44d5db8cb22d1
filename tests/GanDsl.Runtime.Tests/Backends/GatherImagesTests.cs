using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>The CPU gather of a batch of images from the epoch's order, scaled from bytes to [-1, 1].</summary>
public sealed class GatherImagesTests
{
    [Theory]
    [InlineData(29)] // three vectors of eight and a tail of five
    [InlineData(784)]
    public void RowsFollowTheOrderAndEveryByteScalesAsTheFormulaSays(int width)
    {
        const int count = 12;
        var pixels = new byte[count * width];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 7 + i / 256);
        }

        using var backend = new CpuBackend(2);
        using var images = backend.CreateImageSet(pixels, count, width);
        int[] order = [5, 11, 0, 3, 7, 2, 9, 1, 10, 4, 8, 6];
        images.SetOrder(order);
        using var batch = backend.Allocate(4 * width);
        backend.GatherImages(images, 3, batch.View(0, 4, width));
        var values = batch.All.Span;
        for (int r = 0; r < 4; r++)
        {
            for (int i = 0; i < width; i++)
            {
                byte b = pixels[order[3 + r] * width + i];
                Assert.Equal(BitConverter.SingleToInt32Bits(b / 127.5f - 1f), BitConverter.SingleToInt32Bits(values[r * width + i]));
            }
        }
    }

    [Fact]
    public void EveryByteValueMapsOntoMinusOneToOne()
    {
        var pixels = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        using var backend = new CpuBackend(1);
        using var images = backend.CreateImageSet(pixels, 1, 256);
        images.SetOrder([0]);
        using var row = backend.Allocate(256);
        backend.GatherImages(images, 0, row.View(0, 1, 256));
        var values = row.All.Span;
        Assert.Equal(-1f, values[0]);
        Assert.Equal(1f, values[255]);
        for (int b = 0; b < 256; b++)
        {
            Assert.Equal(b / 127.5f - 1f, values[b]);
        }
    }
}
