namespace GanDsl.Tests.Numerics;

/// <summary>What the finite-difference tests of heads and shared layers compare with: doubles, scales and a tolerance.</summary>
internal static class Numeric
{
    public static double[] ToDouble(float[] values) => [.. values.Select(v => (double)v)];

    public static double MeanAbs(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += Math.Abs(v);
        }

        return values.Length == 0 ? 0 : sum / values.Length;
    }

    /// <summary>An analytic float gradient against a double finite difference, relative to the gradient's own size and <paramref name="scale"/>.</summary>
    public static void AssertClose(double expected, float actual, double scale, string what)
    {
        double error = Math.Abs(actual - expected);
        Assert.True(error <= 2e-3 * (Math.Abs(expected) + scale) + 1e-7, $"{what}: analytic {actual} vs finite difference {expected} (error {error:E2})");
    }
}
