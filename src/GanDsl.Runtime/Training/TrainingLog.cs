using System.Globalization;

namespace GanDsl.Training;

/// <summary>One logged point of training: the averages over the steps since the previous one.</summary>
/// <param name="Step">The trainer's step count when logged.</param>
/// <param name="Epoch">The epoch the step belongs to (counting from 1).</param>
/// <param name="Stats">Averages since the previous point.</param>
/// <param name="ImagesPerSecond">Throughput since the previous point.</param>
public readonly record struct LogPoint(long Step, int Epoch, TrainingStats Stats, double ImagesPerSecond);

/// <summary>
/// The training curves as a CSV file, one row per logged step (<c>step,epoch,d_loss,g_loss,d_x,d_g_z,images_per_second</c>),
/// appended as training goes, and kept in memory for the loss plot. On resume the rows past the
/// checkpoint's step are dropped, so the file always describes one continuous run.
/// </summary>
public sealed class TrainingLog
{
    /// <summary>The CSV header line.</summary>
    public const string Header = "step,epoch,d_loss,g_loss,d_x,d_g_z,images_per_second";

    private readonly List<LogPoint> _points = new();

    /// <summary>A log written to <paramref name="csvPath"/> (created or continued).</summary>
    /// <param name="csvPath">The CSV file; null keeps the points in memory only.</param>
    /// <param name="resumeStep">When resuming, the checkpoint's step: earlier rows are kept, later ones dropped. 0 starts afresh.</param>
    public TrainingLog(string? csvPath, long resumeStep = 0)
    {
        CsvPath = csvPath is null ? null : Path.GetFullPath(csvPath);
        if (CsvPath is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(CsvPath)!);
        if (resumeStep > 0 && File.Exists(CsvPath))
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

    /// <summary>The CSV file, if any.</summary>
    public string? CsvPath { get; }

    /// <summary>The points logged so far (including those kept from before a resume).</summary>
    public IReadOnlyList<LogPoint> Points => _points;

    /// <summary>Adds a point and appends its row to the CSV file.</summary>
    public void Add(LogPoint point)
    {
        _points.Add(point);
        if (CsvPath is not null)
        {
            File.AppendAllText(CsvPath, Format(point) + "\n");
        }
    }

    private static string Format(LogPoint p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Step},{p.Epoch},{p.Stats.DiscriminatorLoss:R},{p.Stats.GeneratorLoss:R},{p.Stats.RealScore:R},{p.Stats.FakeScore:R},{p.ImagesPerSecond:F1}");

    private static bool TryParse(string line, out LogPoint point)
    {
        point = default;
        var f = line.Split(',');
        if (f.Length != 7
            || !long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step)
            || !int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch))
        {
            return false;
        }

        var v = new double[5];
        for (int i = 0; i < 5; i++)
        {
            if (!double.TryParse(f[i + 2], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]))
            {
                return false;
            }
        }

        point = new LogPoint(step, epoch, new TrainingStats(0, v[0], v[1], v[2], v[3]), v[4]);
        return true;
    }
}
