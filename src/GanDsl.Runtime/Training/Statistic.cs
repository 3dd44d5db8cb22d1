using System.Globalization;
using System.Text;
using GanDsl.Backends;

namespace GanDsl;

/// <summary>How a statistic is shown: a loss (left axis of the plot, 4 decimals), a probability (right axis, 0 to 1, 3 decimals) or a raw score (left axis, 3 decimals).</summary>
public enum StatisticKind
{
    /// <summary>A loss or other unbounded quantity: the plot's left axis, 4 decimals.</summary>
    Loss,

    /// <summary>A value in [0, 1] such as D(x): the plot's right axis, 3 decimals.</summary>
    Probability,

    /// <summary>An unbounded output such as a critic's mean: the plot's left axis, 3 decimals.</summary>
    Score,
}

/// <summary>
/// A named number a training step reports each step (D loss, D(x), BEGAN's k and M): summed on the device without a
/// host sync, read back only when printed, and averaged over the steps that recorded it. It appears under its
/// <see cref="Name"/> in the epoch line and the plot, and as <see cref="Column"/> in <c>training.csv</c>.
/// </summary>
public sealed class Statistic
{
    internal Statistic(string name, StatisticKind kind, int index, Tensor sum)
    {
        Name = name;
        Kind = kind;
        Index = index;
        Sum = sum;
        Column = ColumnOf(name);
    }

    /// <summary>The name shown, e.g. <c>D(G(z))</c>.</summary>
    public string Name { get; }

    /// <summary>The CSV column: the name in lower case with each run of other characters as one underscore, e.g. <c>d_g_z</c>.</summary>
    public string Column { get; }

    /// <summary>How it is shown.</summary>
    public StatisticKind Kind { get; }

    /// <summary>Its position among its step's statistics.</summary>
    public int Index { get; }

    /// <summary>The device float its values are added to (reset when read).</summary>
    public Tensor Sum { get; }

    /// <summary><c>statistic += value</c>, a statement of a <see cref="ScalarProgram"/> run by <see cref="StepContext.Evaluate"/>.</summary>
    public ScalarAssignment Add(ScalarExpr value) => new(Sum, value, Add: true);

    /// <summary>A value as the epoch line shows it: 4 decimals for losses, 3 for probabilities and scores.</summary>
    public string Format(double value) => value.ToString(Kind == StatisticKind.Loss ? "F4" : "F3", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary><c>D(G(z))</c> becomes <c>d_g_z</c>, <c>D loss</c> <c>d_loss</c>.</summary>
    public static string ColumnOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder();
        bool gap = false;
        foreach (char c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (gap && text.Length > 0)
                {
                    text.Append('_');
                }

                text.Append(char.ToLowerInvariant(c));
                gap = false;
            }
            else
            {
                gap = true;
            }
        }

        return text.ToString();
    }
}

/// <summary>Averages of a step's statistics over a stretch of steps (a log window, an epoch).</summary>
public sealed class StatisticValues
{
    private readonly double[] _values;
    private readonly long[] _counts;

    /// <summary>Averages of <paramref name="statistics"/> from their sums and the number of steps that recorded each.</summary>
    /// <param name="statistics">The step's statistics.</param>
    /// <param name="sums">Each statistic's sum over the stretch.</param>
    /// <param name="counts">How many steps of the stretch recorded each.</param>
    /// <param name="steps">Steps in the stretch.</param>
    public StatisticValues(IReadOnlyList<Statistic> statistics, ReadOnlySpan<double> sums, ReadOnlySpan<long> counts, long steps)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (sums.Length != statistics.Count || counts.Length != statistics.Count)
        {
            throw new ArgumentException($"{sums.Length} sums and {counts.Length} counts for {statistics.Count} statistics.", nameof(sums));
        }

        Statistics = statistics;
        _counts = counts.ToArray();
        _values = new double[sums.Length];
        for (int i = 0; i < sums.Length; i++)
        {
            _values[i] = counts[i] > 0 ? sums[i] / counts[i] : double.NaN;
        }

        Steps = steps;
    }

    /// <summary>The statistics, in the step's order.</summary>
    public IReadOnlyList<Statistic> Statistics { get; }

    /// <summary>The averages, in the statistics' order (NaN for one no step in the stretch recorded).</summary>
    public IReadOnlyList<double> Values => _values;

    /// <summary>Steps averaged.</summary>
    public long Steps { get; }

    /// <summary>Whether some step of the stretch recorded statistic <paramref name="index"/>.</summary>
    public bool Recorded(int index) => _counts[index] > 0;

    /// <summary>The average of the statistic named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The step reports no statistic of that name.</exception>
    public double this[string name]
    {
        get
        {
            for (int i = 0; i < Statistics.Count; i++)
            {
                if (Statistics[i].Name == name)
                {
                    return _values[i];
                }
            }

            throw new KeyNotFoundException($"No statistic named '{name}'; the step reports {string.Join(", ", Statistics.Select(s => s.Name))}.");
        }
    }

    /// <summary>Whether every statistic recorded in the stretch is a finite number.</summary>
    public bool IsFinite => FirstNonFinite is null;

    /// <summary>The first recorded statistic whose average is NaN or infinite, if any.</summary>
    public Statistic? FirstNonFinite
    {
        get
        {
            for (int i = 0; i < _values.Length; i++)
            {
                if (_counts[i] > 0 && !double.IsFinite(_values[i]))
                {
                    return Statistics[i];
                }
            }

            return null;
        }
    }

    /// <summary>Each recorded statistic as the epoch line shows it, e.g. <c>D loss 0.8443  G loss 1.6230  D(x) 0.712</c>.</summary>
    public override string ToString() =>
        string.Join("  ", Statistics.Where(s => _counts[s.Index] > 0).Select(s => $"{s.Name} {s.Format(_values[s.Index])}"));
}
