using System.Globalization;
using GanDsl.Randomness;

namespace Cogan;

/// <summary>
/// CoGAN's measure on MNIST-edge: domain A's image for a noise vector is turned into its edges (the 3x3 dilation minus
/// the image, as domain B was made from MNIST) and compared with domain B's image for the same noise, pixel by pixel
/// with both thresholded at the middle grey. The paper's pixel agreement counts every pixel (the background agrees
/// almost always); the ink overlap (intersection over union of the lit pixels) counts the strokes alone. Both again
/// for pairs whose noise is shuffled: what agreement unrelated digits reach by chance.
/// </summary>
public sealed record PairAgreement(double Pixels, double Ink, double ShuffledPixels, double ShuffledInk, float[] ImagesA)
{
    /// <summary>Draws <paramref name="count"/> pairs from evaluation noise and measures them.</summary>
    public static PairAgreement Measure(CoganStep step, int count)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        var (a, b) = step.Pairs(step.Noise(count, RandomStreams.Evaluation), count);
        var shape = step.Generator.Layout.OutputShape;
        int pixels = shape.Height * shape.Width;
        if (shape.Channels != 1)
        {
            throw new ArgumentException($"The pair agreement compares 1-channel images; {step.Generator.Layout.Name} makes {shape}.", nameof(step));
        }

        var edges = new float[a.Length];
        for (int i = 0; i < count; i++)
        {
            Edges(a.AsSpan(i * pixels, pixels), edges.AsSpan(i * pixels, pixels), shape.Height, shape.Width);
        }

        var (same, sameInk) = Compare(edges, b, count, pixels, shift: 0);
        var (shuffled, shuffledInk) = Compare(edges, b, count, pixels, shift: 1);
        return new PairAgreement(same, sameInk, shuffled, shuffledInk, a);
    }

    /// <summary>Edges of one [-1, 1] image, as [-1, 1]: the 3x3 dilation minus the image, on [0, 1] pixels.</summary>
    public static void Edges(ReadOnlySpan<float> image, Span<float> edges, int height, int width)
    {
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float max = -1f;
                for (int dy = Math.Max(0, y - 1); dy <= Math.Min(height - 1, y + 1); dy++)
                {
                    for (int dx = Math.Max(0, x - 1); dx <= Math.Min(width - 1, x + 1); dx++)
                    {
                        max = Math.Max(max, image[dy * width + dx]);
                    }
                }

                // On [0, 1] pixels p = (v + 1) / 2: edge = p(max) - p(v) = (max - v) / 2, then back to [-1, 1].
                edges[y * width + x] = max - image[y * width + x] - 1f;
            }
        }
    }

    // Agreement of edges[i] with b[(i + shift) % count], thresholded at 0 (the middle of [-1, 1]).
    private static (double Pixels, double Ink) Compare(float[] edges, float[] b, int count, int pixels, int shift)
    {
        long agree = 0, both = 0, either = 0;
        for (int i = 0; i < count; i++)
        {
            int j = (i + shift) % count;
            for (int p = 0; p < pixels; p++)
            {
                bool e = edges[i * pixels + p] > 0f, lit = b[j * pixels + p] > 0f;
                agree += e == lit ? 1 : 0;
                both += e && lit ? 1 : 0;
                either += e || lit ? 1 : 0;
            }
        }

        return ((double)agree / ((long)count * pixels), either == 0 ? 1 : (double)both / either);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        return $"pixel agreement {Pixels.ToString("P2", c)} (shuffled pairs {ShuffledPixels.ToString("P2", c)}), ink overlap {Ink.ToString("P1", c)} (shuffled pairs {ShuffledInk.ToString("P1", c)})";
    }
}
