using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>
/// The image pool on the CPU against a model written as CycleGAN's <c>ImagePool.query</c> is: a list that takes images
/// until full, then swaps in half of them (by the draws) for a stored one; and the operand checks.
/// </summary>
public sealed class ImagePoolTests
{
    [Fact]
    public void FillsThenSwapsAsCycleGansPool()
    {
        const int width = 3, capacity = 5, rows = 3;
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate((long)(rows + capacity + 2 * rows) * width + 1);
        var (images, pool, draws, filled) = Views(memory, rows, width, capacity);
        backend.Fill(pool, float.NaN);
        backend.Fill(filled, 0f);

        // Three images into an empty pool: stored in rows 0 to 2 and passed through.
        backend.Upload([1, 1, 1, 2, 2, 2, 3, 3, 3], images);
        backend.Upload([0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f], draws);
        backend.ImagePool(images, pool, draws, filled);
        Assert.Equal([1, 1, 1, 2, 2, 2, 3, 3, 3], images.Span.ToArray());
        Assert.Equal(3f, filled.Span[0]);

        // Two more fill it; the sixth, drawn above 0.5, is swapped with row floor(0.45 * 5) = 2 (the third image);
        // then the count stays at the capacity.
        backend.Upload([4, 4, 4, 5, 5, 5, 6, 6, 6], images);
        backend.Upload([0.1f, 0.1f, 0.1f, 0.1f, 0.6f, 0.45f], draws);
        backend.ImagePool(images, pool, draws, filled);
        Assert.Equal([4, 4, 4, 5, 5, 5, 3, 3, 3], images.Span.ToArray());
        Assert.Equal([1, 1, 1, 2, 2, 2, 6, 6, 6, 4, 4, 4, 5, 5, 5], pool.Span.ToArray());
        Assert.Equal(5f, filled.Span[0]);

        // Full: at or below 0.5 an image passes; a draw of 0.99999 picks the last row, not one past it.
        backend.Upload([7, 7, 7, 8, 8, 8, 9, 9, 9], images);
        backend.Upload([0.5f, 0f, 0.51f, 0.99999f, 0.7f, 0f], draws);
        backend.ImagePool(images, pool, draws, filled);
        Assert.Equal([7, 7, 7, 5, 5, 5, 1, 1, 1], images.Span.ToArray());
        Assert.Equal([9, 9, 9, 2, 2, 2, 6, 6, 6, 4, 4, 4, 8, 8, 8], pool.Span.ToArray());
        Assert.Equal(5f, filled.Span[0]);
    }

    [Fact]
    public void MatchesTheListModelOverManyBatches()
    {
        const int width = 4, capacity = 7, rows = 3;
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate((long)(rows + capacity + 2 * rows) * width + 1);
        var (images, pool, draws, filled) = Views(memory, rows, width, capacity);
        backend.Fill(filled, 0f);
        var model = new List<float[]>();
        var random = new Random(5);
        for (int step = 0; step < 20; step++)
        {
            var batch = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, width).Select(_ => random.NextSingle()).ToArray()).ToArray();
            var u = Enumerable.Range(0, 2 * rows).Select(_ => random.NextSingle()).ToArray();
            backend.Upload(batch.SelectMany(r => r).ToArray(), images);
            backend.Upload(u, draws);
            backend.ImagePool(images, pool, draws, filled);

            // CycleGAN's query, image by image.
            var expected = new List<float[]>();
            for (int r = 0; r < rows; r++)
            {
                if (model.Count < capacity)
                {
                    model.Add(batch[r]);
                    expected.Add(batch[r]);
                }
                else if (u[2 * r] > 0.5f)
                {
                    int id = Math.Min((int)(u[2 * r + 1] * capacity), capacity - 1);
                    expected.Add(model[id]);
                    model[id] = batch[r];
                }
                else
                {
                    expected.Add(batch[r]);
                }
            }

            Assert.Equal(expected.SelectMany(r => r).ToArray(), images.Span.ToArray());
            Assert.Equal(model.SelectMany(r => r).ToArray(), pool.Span[..(model.Count * width)].ToArray());
            Assert.Equal(model.Count, (int)filled.Span[0]);
        }
    }

    [Fact]
    public void RefusesOperandsThatDoNotFit()
    {
        using var backend = new CpuBackend(1);
        using var memory = backend.Allocate(200);
        var (images, pool, draws, filled) = Views(memory, 3, 4, 5);
        Assert.Contains("as wide", Assert.Throws<ArgumentException>(() => backend.ImagePool(images, memory.View(100, 5, 3), draws, filled)).Message);
        Assert.Contains("(rows, 2)", Assert.Throws<ArgumentException>(() => backend.ImagePool(images, pool, memory.View(100, 3, 1), filled)).Message);
        Assert.Contains("one value", Assert.Throws<ArgumentException>(() => backend.ImagePool(images, pool, draws, memory.View(100, 1, 2))).Message);
        Assert.Equal("filled", Assert.Throws<ArgumentException>(() => backend.ImagePool(images, pool, draws, default)).ParamName);
    }

    private static (Tensor Images, Tensor Pool, Tensor Draws, Tensor Filled) Views(DeviceBuffer memory, int rows, int width, int capacity)
    {
        long at = 0;
        Tensor Next(int r, int c)
        {
            var view = memory.View(at, r, c);
            at += (long)r * c;
            return view;
        }

        return (Next(rows, width), Next(capacity, width), Next(rows, 2), Next(1, 1));
    }
}
