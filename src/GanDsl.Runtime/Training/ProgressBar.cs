using System.Diagnostics;
using System.Globalization;

namespace GanDsl.Training;

/// <summary>
/// A one-line progress bar redrawn in place (carriage return) a few times a second, shown only when
/// the log is an interactive console, so redirected output stays one clean line per epoch.
/// </summary>
internal sealed class ProgressBar
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter? _log;
    private readonly bool _enabled;
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private int _lastLength;

    public ProgressBar(TextWriter? log, bool wanted)
    {
        _log = log;
        _enabled = wanted && log is not null && ReferenceEquals(log, Console.Out) && !Console.IsOutputRedirected;
    }

    /// <summary>Whether it is time to redraw (cheap; true at most four times a second).</summary>
    public bool Due => _enabled && _since.Elapsed >= s_interval;

    public void Show(int epoch, int epochs, int step, int steps, StatisticValues stats, double imagesPerSecond, TimeSpan remaining)
    {
        _since.Restart();
        const int width = 24;
        int filled = (int)((long)width * step / steps);
        string values = string.Join("  ", stats.Statistics.Where(s => stats.Recorded(s.Index)).Select(s => $"{s.Name} {stats.Values[s.Index].ToString("F3", CultureInfo.InvariantCulture)}"));
        string line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{epochs} [{new string('#', filled)}{new string('.', width - filled)}] {step}/{steps}  {values}  {imagesPerSecond:N0} img/s  ETA {remaining:hh\\:mm\\:ss}");
        _log!.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
    }

    public void Clear()
    {
        if (_enabled && _lastLength > 0)
        {
            _log!.Write("\r" + new string(' ', _lastLength) + "\r");
            _lastLength = 0;
        }
    }
}
