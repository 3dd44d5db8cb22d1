using System.Globalization;
using GanDsl.Data;
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

        // Both domains as bytes, A turned into edges by the transform that made domain B from MNIST.
        var edges = DerivedDomains.Edges(ImageDataset.FromPixels(a, count, 1, shape.Height, shape.Width)).Images.Span;
        var lit = ImageDataset.FromPixels(b, count, 1, shape.Height, shape.Width).Images.Span;
        var (same, sameInk) = Compare(edges, lit, count, pixels, shift: 0);
        var (shuffled, shuffledInk) = Compare(edges, lit, count, pixels, shift: 1);
        return new PairAgreement(same, sameInk, shuffled, shuffledInk, a);
    }

    // Agreement of edges[i] with b[(i + shift) % count], both thresholded at the middle grey.
    private static (double Pixels, double Ink) Compare(ReadOnlySpan<byte> edges, ReadOnlySpan<byte> b, int count, int pixels, int shift)
    {
        long agree = 0, both = 0, either = 0;
        for (int i = 0; i < count; i++)
        {
            int j = (i + shift) % count;
            for (int p = 0; p < pixels; p++)
            {
                bool e = edges[i * pixels + p] >= 128, lit = b[j * pixels + p] >= 128;
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
