namespace GanDsl.Evaluation;

/// <summary>Householder reflections H = I − β·v·vᵀ, shared by the tridiagonal and bidiagonal reductions.</summary>
internal static class Householder
{
    /// <summary>
    /// Turns <paramref name="x"/> in place into a vector v with (I − β·v·vᵀ)·x = α·e₁ and returns β;
    /// α goes to <paramref name="alpha"/>. The sign of α is chosen opposite to x₀ so that v₀ = x₀ − α
    /// never cancels, and x is scaled by its largest entry first so no square overflows. β = 0 (no
    /// reflection, α = 0) when x is zero. v is stored scaled by 1/max|xᵢ|; β matches that scaling.
    /// </summary>
    public static double MakeReflector(Span<double> x, out double alpha)
    {
        double scale = 0;
        foreach (double value in x)
        {
            scale = Math.Max(scale, Math.Abs(value));
        }
        if (scale == 0)
        {
            alpha = 0;
            return 0;
        }
        double sumSquares = 0;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= scale;
            sumSquares += x[i] * x[i];
        }
        double sigma = Math.Sqrt(sumSquares);
        double x0 = x[0];
        double a = x0 >= 0 ? -sigma : sigma;
        x[0] = x0 - a;
        alpha = a * scale;
        // vᵀv = 2σ(σ + |x₀|), so β = 2 / vᵀv.
        return 1 / (sigma * (sigma + Math.Abs(x0)));
    }
}
