using System.Globalization;
using System.Text;
using GanDsl.Data;
using GanDsl.Evaluation;

namespace DiscoGan;

/// <summary>DiscoGAN's two domains, MNIST and MNIST turned 90 degrees, and the sample's measure of a translation between them.</summary>
public static class Turns
{
    private const int Side = 28;

    /// <summary>
    /// Domain A the first half of <paramref name="images"/> in a fixed shuffle, domain B the second half turned 90 degrees
    /// counter-clockwise: no digit is in both, so no pair exists.
    /// </summary>
    public static UnpairedImages Of(ImageDataset images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var order = Enumerable.Range(0, images.Count).ToArray();
        new Random(0).Shuffle(order);
        int half = order.Length / 2;
        return new UnpairedImages(images.Select(order.AsSpan(0, half)), DerivedDomains.Rotated90(images.Select(order.AsSpan(half))));
    }

    /// <summary>The same images in both domains, for the measure and the sample grid: A as given, B turned.</summary>
    public static UnpairedImages Paired(ImageDataset images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new UnpairedImages(images, DerivedDomains.Rotated90(images));
    }

    /// <summary>(count, 28·28) images turned 90 degrees clockwise, undoing <see cref="DerivedDomains.Rotated90"/>.</summary>
    public static float[] TurnBack(float[] images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        const int pixels = Side * Side;
        var result = new float[(long)count * pixels];
        for (int n = 0; n < count; n++)
        {
            // Rotated90 shows input (y, x) at row Side - 1 - x, column y.
            for (int y = 0; y < Side; y++)
            {
                for (int x = 0; x < Side; x++)
                {
                    result[(n * pixels) + (y * Side) + x] = images[(n * pixels) + ((Side - 1 - x) * Side) + y];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The first <paramref name="count"/> digits of <paramref name="test"/> translated both ways: G_AB's translation of
    /// each digit turned back, and G_BA's translation of the turned digit, each read by the reference classifier against
    /// the source digit; and the mean squared error of the translations translated back (on [-1, 1] pixels).
    /// </summary>
    public static Translation Measure(DiscoGanStep step, ImageDataset test, MnistEvaluator evaluator, int count)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(evaluator);
        count = Math.Min(count, test.Count);
        var labels = Enumerable.Range(0, count).Select(test.GetLabel).ToArray();
        var both = Paired(test);
        var (ab, ba) = (step.GeneratorAB, step.GeneratorBA);
        var (toB, toA) = (ab.Predict(both.A, count), ba.Predict(both.B, count));
        var (backToA, backToB) = (ba.Predict(toB, count), ab.Predict(toA, count));
        var (a, b) = (new float[toB.Length], new float[toA.Length]);
        both.A.CopyImages(Enumerable.Range(0, count).ToArray(), a);
        both.B.CopyImages(Enumerable.Range(0, count).ToArray(), b);
        var forward = evaluator.Evaluate(TurnBack(toB, count), count, labels);
        var report = evaluator.Evaluate(toA, count, labels);
        return new Translation(count, forward.Conditional!, report.Conditional!, SquaredError(backToA, a), SquaredError(backToB, b), report);
    }

    private static double SquaredError(float[] x, float[] y)
    {
        double sum = 0;
        for (long i = 0; i < x.Length; i++)
        {
            sum += (x[i] - y[i]) * (double)(x[i] - y[i]);
        }

        return sum / x.Length;
    }
}

/// <summary>
/// A translation between MNIST and MNIST turned, measured on <see cref="Count"/> test digits: <see cref="AB"/>, the
/// classifier's reading of G_AB's translations turned back, against their source digits; <see cref="BA"/>, of G_BA's
/// translations of the turned digits; each direction's reconstruction error; <see cref="Report"/>, G_BA's images as MNIST.
/// </summary>
public sealed record Translation(int Count, ConditionalAccuracy AB, ConditionalAccuracy BA, double ReconstructionA, double ReconstructionB, MetricsReport Report)
{
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(string.Create(c, $"{Count:N0} test digits: G_AB's translation turned back reads as the source digit {AB.Accuracy:P2}, G_BA's translation of the turned digit {BA.Accuracy:P2}; "));
        text.AppendLine(string.Create(c, $"reconstruction MSE {ReconstructionA:F4} (A) and {ReconstructionB:F4} (B)"));
        foreach (var (name, reading) in new[] { ("G_AB, turned back", AB), ("G_BA", BA) })
        {
            var (purity, digits) = reading.Purity();
            text.Append(c, $"  {name}: source digit -> digit read most (its share):");
            for (int d = 0; d < digits.Length; d++)
            {
                int n = reading.RequestedCounts[d];
                text.Append(string.Create(c, $" {d}->{digits[d]} ({(n == 0 ? 0 : reading.Confusion(d, digits[d]) / (double)n):P0})"));
            }

            text.AppendLine(string.Create(c, $"; purity {purity:P1}"));
        }

        return text.ToString().TrimEnd();
    }
}
