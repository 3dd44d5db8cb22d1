using GanDsl.IO;

namespace GanDsl.Imaging;

/// <summary>
/// The training curves as a PNG (ScottPlot): every loss-like statistic on the left axis and every probability
/// (D(x), D(G(z)), dashed) on the right axis from 0 to 1, against the step; a gap where a statistic was not recorded;
/// a dotted line where each epoch starts. A point that averages a short window (the steps after the last full window
/// of an epoch) is drawn merged into the point before it, weighted by steps, so the curve's last point is no outlier;
/// <c>training.csv</c> keeps every row as logged.
/// </summary>
public static class LossPlot
{
    /// <summary>Renders <paramref name="log"/>'s points to <paramref name="path"/> (width x height pixels), atomically.</summary>
    public static void Save(string path, TrainingLog log, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(log);
        var points = MergeShortWindows(log.Points);
        var steps = points.Select(p => (double)p.Step).ToArray();
        var plot = new ScottPlot.Plot();
        MarkEpochs(plot, points);
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

    /// <summary>
    /// The points as drawn: each point whose window (steps since the point before) is under half the longest window is
    /// folded into the point before it, the two averaged by their steps, at the later step.
    /// </summary>
    internal static List<LogPoint> MergeShortWindows(IReadOnlyList<LogPoint> points)
    {
        var merged = new List<LogPoint>(points.Count);
        long longest = 0;
        for (int i = 1; i < points.Count; i++)
        {
            longest = Math.Max(longest, points[i].Step - points[i - 1].Step);
        }

        long previousStep = 0, previousWindow = 0;
        foreach (var point in points)
        {
            long window = point.Step - previousStep;
            previousStep = point.Step;
            if (merged.Count == 0 || 2 * window >= longest)
            {
                merged.Add(point);
                previousWindow = window;
                continue;
            }

            var last = merged[^1];
            var values = new double[point.Values.Length];
            for (int v = 0; v < values.Length; v++)
            {
                (double a, double b) = (last.Values[v], point.Values[v]);
                values[v] = double.IsNaN(a) ? b : double.IsNaN(b) ? a : (a * previousWindow + b * window) / (previousWindow + window);
            }

            double speed = (last.ImagesPerSecond * previousWindow + point.ImagesPerSecond * window) / (previousWindow + window);
            merged[^1] = new LogPoint(point.Step, last.Epoch, values, speed);
            previousWindow += window;
        }

        return merged;
    }

    // A dotted vertical line where each epoch starts (about ten labelled), so the curves read against epochs too.
    private static void MarkEpochs(ScottPlot.Plot plot, IReadOnlyList<LogPoint> points)
    {
        var starts = new List<(double Step, int Epoch)>();
        for (int i = 1; i < points.Count; i++)
        {
            if (points[i].Epoch != points[i - 1].Epoch)
            {
                starts.Add((points[i - 1].Step, points[i].Epoch));
            }
        }

        int every = Math.Max(1, (int)Math.Ceiling(starts.Count / 10.0));
        foreach (var (step, epoch) in starts)
        {
            var line = plot.Add.VerticalLine(step, 1, ScottPlot.Colors.Gray.WithAlpha(0.5), ScottPlot.LinePattern.Dotted);
            line.ExcludeFromLegend = true;
            if (epoch % every == 0)
            {
                line.Text = $"epoch {epoch}";
                line.LabelFontSize = 10;
                line.LabelOppositeAxis = true;
                line.LabelFontColor = ScottPlot.Colors.DimGray;
                line.LabelBackgroundColor = ScottPlot.Colors.White;
            }
        }
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
