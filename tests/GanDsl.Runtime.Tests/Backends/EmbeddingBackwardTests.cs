using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>
/// Condition's backward with only one of its outputs asked for: the input gradient alone (a
/// discriminator in the generator's step) must read dy with the embedding's width still in each pixel.
/// </summary>
public sealed class EmbeddingBackwardTests
{
    [Fact]
    public void InputGradientAloneEqualsTheInputGradientOfTheFullPass()
    {
        using var backend = new CpuBackend(1);
        const int rows = 3, pixels = 4, channels = 2, e = 3, classes = 5;
        var dy = backend.Allocate(rows * pixels * (channels + e)).View(0, rows, pixels * (channels + e));
        backend.RandomNormal(dy.Reshape(1, dy.Length), 1, 2, 3);
        var labels = backend.Allocate(rows).View(0, rows, 1);
        backend.Upload([4f, 0f, 2f], labels);
        var table = backend.Allocate(classes * e).View(0, classes, e);
        var full = backend.Allocate(rows * pixels * channels).View(0, rows, pixels * channels);
        var alone = backend.Allocate(rows * pixels * channels).View(0, rows, pixels * channels);

        backend.EmbeddingBackward(dy, labels, table, full, pixels, accumulate: false);
        backend.EmbeddingBackward(dy, labels, default, alone, pixels, accumulate: false);

        Assert.Equal(full.Span.ToArray(), alone.Span.ToArray());

        // And it is dy's channel part, pixel by pixel.
        var g = dy.Span;
        for (int r = 0; r < rows; r++)
        {
            for (int p = 0; p < pixels; p++)
            {
                for (int c = 0; c < channels; c++)
                {
                    Assert.Equal(g[r * pixels * (channels + e) + p * (channels + e) + c], alone.Span[r * pixels * channels + p * channels + c]);
                }
            }
        }
    }
}
