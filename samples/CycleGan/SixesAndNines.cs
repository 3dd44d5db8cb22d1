using System.Globalization;
using GanDsl;
using GanDsl.Data;
using GanDsl.Evaluation;

namespace CycleGan;

/// <summary>MNIST's 6s and 9s as CycleGAN's two domains, and the sample's measure of a translation between them.</summary>
public static class SixesAndNines
{
    /// <summary>The 6s of <paramref name="images"/> (domain A) and its 9s (domain B), unpaired.</summary>
    public static UnpairedImages Of(ImageDataset images) => new(DerivedDomains.OfClass(images, 6), DerivedDomains.OfClass(images, 9));

    /// <summary>
    /// Every image of <paramref name="test"/> translated to the other domain and back: how many translated 6s the
    /// reference classifier reads as 9 and translated 9s as 6, and the cycle's mean L1 on [0, 1] pixels.
    /// </summary>
    public static Translation Measure(CycleGanStep step, UnpairedImages test, MnistEvaluator evaluator)
    {
        int sixes = test.A.Count, nines = test.B.Count, pixels = step.GeneratorAB.OutputFeatures;
        var (toNine, toSix) = (step.Translate(step.GeneratorAB, test.A, sixes), step.Translate(step.GeneratorBA, test.B, nines));
        var (backToSix, backToNine) = (step.Translate(step.GeneratorBA, toNine, sixes), step.Translate(step.GeneratorAB, toSix, nines));
        var images = new float[(long)(sixes + nines) * pixels];
        toNine.CopyTo(images, 0);
        toSix.CopyTo(images, (long)sixes * pixels);
        var labels = Enumerable.Repeat(9, sixes).Concat(Enumerable.Repeat(6, nines)).ToArray();
        var report = evaluator.Evaluate(images, sixes + nines, labels);
        var (originalSixes, originalNines) = (Originals(test.A, pixels), Originals(test.B, pixels));
        return new Translation(
            Read(evaluator, toNine, sixes, 9), Read(evaluator, toSix, nines, 6),
            Read(evaluator, originalSixes, sixes, 6), Read(evaluator, originalNines, nines, 9),
            L1(backToSix, originalSixes), L1(backToNine, originalNines), sixes, nines, report);
    }

    private static double Read(MnistEvaluator evaluator, float[] images, int count, int digit) =>
        evaluator.Evaluate(images, count, Enumerable.Repeat(digit, count).ToArray()).Conditional!.Accuracy;

    private static float[] Originals(ImageDataset images, int pixels)
    {
        var all = new float[(long)images.Count * pixels];
        images.CopyImages(Enumerable.Range(0, images.Count).ToArray(), all);
        return all;
    }

    // Mean |reconstruction - original| on [0, 1] pixels.
    private static double L1(float[] reconstructed, float[] original)
    {
        double sum = 0;
        for (long i = 0; i < original.Length; i++)
        {
            sum += Math.Abs(reconstructed[i] - original[i]) / 2;
        }

        return sum / original.Length;
    }
}

/// <summary>A translation between 6s and 9s, measured: <see cref="SixAsNine"/> the share of 6s read as 9 after G_AB, and so on.</summary>
public sealed record Translation(double SixAsNine, double NineAsSix, double SixesRead, double NinesRead, double CycleSix, double CycleNine, int Sixes, int Nines,
    MetricsReport Report)
{
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        return $"{Sixes:N0} test 6s: {SixAsNine.ToString("P2", c)} read as 9 after G_AB (as 6 before: {SixesRead.ToString("P2", c)}), cycle L1 {CycleSix.ToString("F4", c)}; " +
            $"{Nines:N0} test 9s: {NineAsSix.ToString("P2", c)} read as 6 after G_BA (as 9 before: {NinesRead.ToString("P2", c)}), cycle L1 {CycleNine.ToString("F4", c)}";
    }
}
