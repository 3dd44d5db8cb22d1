using System.Globalization;

namespace Aae;

/// <summary>The per-dimension mean and standard deviation of a set of codes: how close their distribution comes to N(0, I).</summary>
public sealed record CodeStatistics(double[] Means, double[] Deviations)
{
    /// <summary>The largest distance of a dimension's mean from 0.</summary>
    public double WorstMean => Means.Max(Math.Abs);

    /// <summary>The smallest and largest standard deviation over the dimensions.</summary>
    public (double Low, double High) DeviationRange => (Deviations.Min(), Deviations.Max());

    /// <summary>The statistics of <paramref name="codes"/>, (count, <paramref name="dimensions"/>) floats.</summary>
    public static CodeStatistics Of(float[] codes, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        int count = codes.Length / dimensions;
        if (count < 2 || codes.Length % dimensions != 0)
        {
            throw new ArgumentException($"{codes.Length} values are not two or more codes of {dimensions}.", nameof(codes));
        }

        var (means, deviations) = (new double[dimensions], new double[dimensions]);
        for (int k = 0; k < dimensions; k++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < count; i++)
            {
                sum += codes[(long)i * dimensions + k];
            }

            means[k] = sum / count;
            for (int i = 0; i < count; i++)
            {
                double d = codes[(long)i * dimensions + k] - means[k];
                squares += d * d;
            }

            deviations[k] = Math.Sqrt(squares / (count - 1));
        }

        return new CodeStatistics(means, deviations);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        return $"means within ±{WorstMean.ToString("F3", c)} of 0, standard deviations {DeviationRange.Low.ToString("F3", c)} to {DeviationRange.High.ToString("F3", c)} " +
            $"(means {string.Join(" ", Means.Select(m => m.ToString("F2", c)))}; deviations {string.Join(" ", Deviations.Select(d => d.ToString("F2", c)))})";
    }
}
