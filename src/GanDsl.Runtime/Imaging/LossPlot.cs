using GanDsl.IO;
using GanDsl.Training;

namespace GanDsl.Imaging;

/// <summary>
/// The training curves as a PNG (ScottPlot): every loss-like statistic on the left axis and every probability
/// (D(x), D(G(z)), dashed) on the right axis from 0 to 1, against the step; a gap where a statistic was not recorded.
/// </summary>
public static class LossPlot
{
    /// <summary>Renders <paramref name="log"/>'s points to <paramref name="path"/> (width x height pixels), atomically.</summary>
    public static void Save(string path, TrainingLog log, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(log);
        var points = log.Points;
        var steps = points.Select(p => (double)p.Step).ToArray();
        var plot = new ScottPlot.Plot();
        bool right = false;
        for (int i = 0; i < log.Statistics.Count; i++)
        {
            var statistic = log.Statistics[i];
            bool probability = statistic.Kind == StatisticKind.Probability;
            right |= probability;
            Line(plot, steps, points.Select(p => p.Values[i]), statistic.Name, probability);
        }

        plot.Title("Training curves");
        plot.Axes.Bottom.Label.Text = "step";
        plot.Axes.Left.Label.Text = "loss";
        if (right)
        {
            plot.Axes.Right.Label.Text = "probability";
            plot.Axes.SetLimitsY(0, 1, plot.Axes.Right);
        }

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
