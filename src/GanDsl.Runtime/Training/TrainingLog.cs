using System.Globalization;

namespace GanDsl;

/// <summary>One logged point of training: each statistic's average over the steps since the previous point (NaN where none recorded it).</summary>
/// <param name="Step">The trainer's step count when logged.</param>
/// <param name="Epoch">The epoch the step belongs to (counting from 1).</param>
/// <param name="Values">The averages, in the step's statistics' order.</param>
/// <param name="ImagesPerSecond">Throughput since the previous point.</param>
public readonly record struct LogPoint(long Step, int Epoch, double[] Values, double ImagesPerSecond);

/// <summary>
/// The training curves as a CSV file, one row per logged step (<c>step,epoch,</c> a column per statistic,
/// <c>images_per_second</c>; a statistic not recorded since the previous row is left empty), appended as training
/// goes, and kept in memory for the plot. On resume the rows past the checkpoint's step are dropped, so the file
/// always describes one continuous run; a file with other columns is started afresh.
/// </summary>
public sealed class TrainingLog
{
    private readonly List<LogPoint> _points = new();

    /// <summary>A log of <paramref name="statistics"/> written to <paramref name="csvPath"/> (created or continued).</summary>
    /// <param name="csvPath">The CSV file; null keeps the points in memory only.</param>
    /// <param name="statistics">The step's statistics, one column each.</param>
    /// <param name="resumeStep">When resuming, the checkpoint's step: earlier rows are kept, later ones dropped. 0 starts afresh.</param>
    public TrainingLog(string? csvPath, IReadOnlyList<Statistic> statistics, long resumeStep = 0)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        Statistics = statistics;
        Header = "step,epoch," + string.Concat(statistics.Select(s => s.Column + ",")) + "images_per_second";
        CsvPath = csvPath is null ? null : Path.GetFullPath(csvPath);
        if (CsvPath is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(CsvPath)!);
        if (resumeStep > 0 && File.Exists(CsvPath) && File.ReadLines(CsvPath).FirstOrDefault() == Header)
        {
            foreach (var line in File.ReadLines(CsvPath).Skip(1))
            {
                if (TryParse(line, out var point) && point.Step <= resumeStep)
                {
                    _points.Add(point);
                }
            }
        }

        using var writer = new StreamWriter(CsvPath, append: false);
        writer.WriteLine(Header);
        foreach (var point in _points)
        {
            writer.WriteLine(Format(point));
        }
    }

    /// <summary>The CSV header line, e.g. <c>step,epoch,d_loss,g_loss,d_x,d_g_z,images_per_second</c>.</summary>
    public string Header { get; }

    /// <summary>The statistics, in column order.</summary>
    public IReadOnlyList<Statistic> Statistics { get; }

    /// <summary>The CSV file, if any.</summary>
    public string? CsvPath { get; }

    /// <summary>The points logged so far (including those kept from before a resume).</summary>
    public IReadOnlyList<LogPoint> Points => _points;

    /// <summary>Adds a point and appends its row to the CSV file.</summary>
    public void Add(LogPoint point)
    {
        if (point.Values.Length != Statistics.Count)
        {
            throw new ArgumentException($"A point of {point.Values.Length} values for {Statistics.Count} statistics.", nameof(point));
        }

        _points.Add(point);
        if (CsvPath is not null)
        {
            File.AppendAllText(CsvPath, Format(point) + "\n");
        }
    }

    private static string Format(LogPoint p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Step},{p.Epoch},{string.Concat(p.Values.Select(v => (double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture)) + ","))}{p.ImagesPerSecond:F1}");

    private bool TryParse(string line, out LogPoint point)
    {
        point = default;
        var f = line.Split(',');
        int n = Statistics.Count;
        if (f.Length != n + 3
            || !long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step)
            || !int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch)
            || !double.TryParse(f[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double speed))
        {
            return false;
        }

        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (f[i + 2].Length == 0)
            {
                values[i] = double.NaN;
            }
            else if (!double.TryParse(f[i + 2], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        point = new LogPoint(step, epoch, values, speed);
        return true;
    }
}
