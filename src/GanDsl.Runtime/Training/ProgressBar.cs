using System.Diagnostics;
using System.Globalization;

namespace GanDsl;

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

    /// <summary>Redraws: the epoch's bar, the running statistics, images and steps per second, and the time left in the epoch and in the run.</summary>
    public void Show(int epoch, int epochs, int step, int steps, StatisticValues stats, double imagesPerSecond, double stepsPerSecond, TimeSpan epochLeft, TimeSpan runLeft)
    {
        _since.Restart();
        string line = Format(epoch, epochs, step, steps, stats, imagesPerSecond, stepsPerSecond, epochLeft, runLeft);
        _log!.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
    }

    /// <summary>The bar's text, e.g. <c>epoch 3/30 [######......] 312/937  D loss 1.112  ...  28,311 img/s  442.4 steps/s  ETA 00:00:01 (run 00:01:05)</c>.</summary>
    internal static string Format(int epoch, int epochs, int step, int steps, StatisticValues stats, double imagesPerSecond, double stepsPerSecond, TimeSpan epochLeft, TimeSpan runLeft)
    {
        const int width = 24;
        int filled = (int)((long)width * step / steps);
        string values = string.Join("  ", stats.Statistics.Where(s => stats.Recorded(s.Index)).Select(s => $"{s.Name} {stats.Values[s.Index].ToString("F3", CultureInfo.InvariantCulture)}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{epochs} [{new string('#', filled)}{new string('.', width - filled)}] {step}/{steps}  {values}  {imagesPerSecond:N0} img/s  {stepsPerSecond:N1} steps/s  ETA {Duration(epochLeft)}") +
            (runLeft > epochLeft ? $" (run {Duration(runLeft)})" : "");
    }

    /// <summary>hh:mm:ss, with days when a run is that long.</summary>
    internal static string Duration(TimeSpan t) =>
        t.TotalDays >= 1 ? t.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    public void Clear()
    {
        if (_enabled && _lastLength > 0)
        {
            _log!.Write("\r" + new string(' ', _lastLength) + "\r");
            _lastLength = 0;
        }
    }
}
