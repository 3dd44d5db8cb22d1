namespace GanDsl.Evaluation;

/// <summary>Argument checks shared by the metrics: matrix shapes, finite entries, label ranges.</summary>
internal static class MetricArguments
{
    /// <summary>Checks that <paramref name="values"/> is a finite rows × columns row-major matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is out of range.</exception>
    /// <exception cref="ArgumentException">The length does not match or an entry is NaN or infinite.</exception>
    public static void CheckMatrix(ReadOnlySpan<float> values, int rows, int columns, int minimumRows, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, minimumRows, nameof(rows));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns, nameof(columns));
        if ((long)rows * columns != values.Length)
        {
            throw new ArgumentException($"Expected {rows} × {columns} = {(long)rows * columns} values, got {values.Length}.", name);
        }
        int bad = IndexOfNonFinite(values);
        if (bad >= 0)
        {
            throw new ArgumentException($"Row {bad / columns}, column {bad % columns} is {values[bad]}; metrics need finite inputs.", name);
        }
    }

    /// <summary>Checks that every label lies in [0, classes).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range.</exception>
    public static void CheckLabels(ReadOnlySpan<int> labels, int classes, string name)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(name, labels[i], $"Label {i} is {labels[i]}, outside [0, {classes}).");
            }
        }
    }

    /// <summary>The index of the first NaN or infinity, or −1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The index of the largest entry of <paramref name="row"/>, the first on ties (like numpy.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
        {
            if (row[j] > row[best])
            {
                best = j;
            }
        }
        return best;
    }
}
