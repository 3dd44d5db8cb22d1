using GanDsl.IO;
using GanDsl.Training;

namespace GanDsl.Imaging;

/// <summary>
/// The training curves as a PNG (ScottPlot): discriminator and generator loss on the left axis,
/// D(x) and D(G(z)) (dashed) on the right axis, against the step.
/// </summary>
public static class LossPlot
{
    /// <summary>Renders <paramref name="points"/> to <paramref name="path"/> (width x height pixels), atomically.</summary>
    public static void Save(string path, IReadOnlyList<LogPoint> points, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(points);
        var steps = points.Select(p => (double)p.Step).ToArray();
        var plot = new ScottPlot.Plot();
        Line(plot, steps, points.Select(p => p.Stats.DiscriminatorLoss), "D loss", right: false);
        Line(plot, steps, points.Select(p => p.Stats.GeneratorLoss), "G loss", right: false);
        Line(plot, steps, points.Select(p => p.Stats.RealScore), "D(x)", right: true);
        Line(plot, steps, points.Select(p => p.Stats.FakeScore), "D(G(z))", right: true);
        plot.Title("Training curves");
        plot.Axes.Bottom.Label.Text = "step";
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "D output (probability)";
        plot.Axes.SetLimitsY(0, 1, plot.Axes.Right);
        plot.ShowLegend();
        byte[] png = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, png);
    }

    private static void Line(ScottPlot.Plot plot, double[] xs, IEnumerable<double> ys, string label, bool right)
    {
        // Non-finite points would break the axis limits; they show as gaps.
        var values = ys.Select(v => double.IsFinite(v) ? v : double.NaN).ToArray();
        var line = plot.Add.ScatterLine(xs, values);
        line.LegendText = label;
        line.LineWidth = 1.5f;
        if (right)
        {
            line.Axes.YAxis = plot.Axes.Right;
            line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
    }
}
