using System.Globalization;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Samples;

namespace Pix2Pix;

/// <summary>The inpainting task: MNIST digits with a square zeroed (the inputs) paired with the digits (the targets), and its measures.</summary>
internal static class Inpainting
{
    /// <summary>
    /// Each of <paramref name="images"/> with a square of the <c>--mask</c> side zeroed at a place drawn per image, paired
    /// with itself. Zeroed in the network's [-1, 1] input: mid-grey (128), so that the generator sees where the hole
    /// is; a black square is the background's value, and a hole on the background or over a stroke's end could not be
    /// told from the digit.
    /// </summary>
    public static PairedImages Pairs(ImageDataset images, SampleCommandLine options) =>
        new(DerivedDomains.Masked(images, (int)options.Setting("mask"), fill: Hole), images);

    /// <summary>The pixel value of the hole: mid-grey, about 0 in [-1, 1].</summary>
    public const byte Hole = 128;

    /// <summary>
    /// The mean L1 to the targets (on [0, 1] pixels) and the reference classifier's accuracy against
    /// <paramref name="labels"/>, of the <paramref name="inpainted"/> digits (their metrics already in
    /// <paramref name="report"/>) and of the masked inputs.
    /// </summary>
    public static string Describe(PairedImages test, float[] inpainted, MetricsReport report, int count, int[] labels, MnistEvaluator evaluator)
    {
        var masked = new float[inpainted.Length];
        test.Inputs.CopyImages(Enumerable.Range(0, count).ToArray(), masked);
        int pixels = test.Targets.PixelsPerImage;
        var target = new float[pixels];
        double filled = 0, holes = 0;
        for (int i = 0; i < count; i++)
        {
            test.Targets.CopyImage(i, target);
            for (int p = 0; p < pixels; p++)
            {
                filled += Math.Abs(inpainted[i * pixels + p] - target[p]) / 2;
                holes += Math.Abs(masked[i * pixels + p] - target[p]) / 2;
            }
        }

        double before = evaluator.Evaluate(masked, count, labels).Conditional!.Accuracy;
        double after = report.Conditional!.Accuracy;
        var c = CultureInfo.InvariantCulture;
        return $"L1 {(filled / ((long)count * pixels)).ToString("F4", c)} inpainted ({(holes / ((long)count * pixels)).ToString("F4", c)} as masked); " +
            $"the reference classifier reads {after.ToString("P2", c)} of the inpainted digits right ({before.ToString("P2", c)} of the masked ones)";
    }
}
