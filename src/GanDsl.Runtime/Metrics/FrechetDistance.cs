namespace GanDsl.Evaluation;

/// <summary>
/// The Fréchet distance between two feature sets, each summarised by a Gaussian: with GanDsl's MNIST
/// classifier features this is the MNIST analogue of the FID of Heusel et al. (2017), "GANs Trained
/// by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium".
/// </summary>
/// <remarks>
/// <para>
/// FD = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½), the squared 2-Wasserstein distance between
/// N(μ₁, Σ₁) and N(μ₂, Σ₂), with the sample statistics of <see cref="FeatureStatistics"/>.
/// </para>
/// <para>
/// tr (Σ₁Σ₂)^½ is computed without a non-symmetric matrix square root. Each covariance is factored
/// as Σ = F·Fᵀ, F = V·diag(√w), from its symmetric eigendecomposition, keeping the eigenvalues above
/// d·ε·w_max (below that they are the rounding noise of exact zeros: fewer rows than features,
/// constant features). Σ₁Σ₂ = F₁(F₁ᵀF₂)F₂ᵀ has the nonzero eigenvalues of GGᵀ with G = F₁ᵀF₂, so
/// tr (Σ₁Σ₂)^½ is the sum of the singular values of G. Taking singular values rather than square
/// roots of the eigenvalues of Σ₁^½Σ₂Σ₁^½ never squares the spectrum, so small variances are not
/// lost under the rounding of large ones: identical sets come out within about 1e-12 of
/// tr Σ₁ + tr Σ₂ (rather than 1e-8). Everything runs in double precision and finite inputs never
/// give NaN. The result is clamped at 0, which rounding can otherwise undershoot.
/// </para>
/// <para>
/// Cost: per feature set, n·d² flops for the covariance and about 9d³ for its factor, computed once
/// and cached on the <see cref="FeatureStatistics"/> object; per distance, 2d·r₁r₂ for G and about
/// 4r³ for its singular values (r ≤ d the ranks). At d = 256 and n = 10,000 that is roughly 30 ms
/// per covariance, 15 ms per factor and 10 ms per distance on a current x64 core.
/// </para>
/// </remarks>
public static class FrechetDistance
{
    /// <summary>
    /// The Fréchet distance between the Gaussians of <paramref name="first"/> and
    /// <paramref name="second"/>; symmetric up to rounding. The square-root factor of each covariance
    /// is cached on its statistics object, so reference statistics reused across evaluations are
    /// factored once.
    /// </summary>
    /// <exception cref="ArgumentException">The two dimensions differ.</exception>
    public static double Compute(FeatureStatistics first, FeatureStatistics second) =>
        Math.Max(ComputeUnclamped(first, second), 0);

    /// <summary>
    /// <see cref="Compute(FeatureStatistics, FeatureStatistics)"/> before clamping at 0, so tests can see
    /// how far rounding takes identical sets below it.
    /// </summary>
    internal static double ComputeUnclamped(FeatureStatistics first, FeatureStatistics second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        int d = first.Dimension;
        if (second.Dimension != d)
        {
            throw new ArgumentException($"The feature sets have {d} and {second.Dimension} dimensions.", nameof(second));
        }
        double meanTerm = 0;
        ReadOnlySpan<double> mu1 = first.Mean;
        ReadOnlySpan<double> mu2 = second.Mean;
        for (int i = 0; i < d; i++)
        {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
        }
        double cross = TraceOfSquareRoot(first.Factor, second.Factor);
        return meanTerm + first.CovarianceTrace + second.CovarianceTrace - 2 * cross;
    }

    /// <summary>
    /// The Fréchet distance between two feature sets given as row-major matrices with the same number
    /// of columns: <paramref name="firstRows"/> × <paramref name="columns"/> values in
    /// <paramref name="first"/>, <paramref name="secondRows"/> × <paramref name="columns"/> in
    /// <paramref name="second"/>. Shorthand for <see cref="Compute(FeatureStatistics, FeatureStatistics)"/>
    /// on <see cref="FeatureStatistics.FromFeatures"/> of each.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A set has fewer than 2 rows, or there are no columns.</exception>
    /// <exception cref="ArgumentException">A length is not rows × columns, or a value is NaN or infinite.</exception>
    public static double Compute(ReadOnlySpan<float> first, int firstRows, ReadOnlySpan<float> second, int secondRows, int columns) =>
        Compute(FeatureStatistics.FromFeatures(first, firstRows, columns), FeatureStatistics.FromFeatures(second, secondRows, columns));

    /// <summary>tr (Σ₁Σ₂)^½ = Σ σᵢ(F₁ᵀF₂) for Σ₁ = F₁F₁ᵀ and Σ₂ = F₂F₂ᵀ.</summary>
    private static double TraceOfSquareRoot(CovarianceFactor first, CovarianceFactor second)
    {
        int r1 = first.Rank;
        int r2 = second.Rank;
        if (r1 == 0 || r2 == 0)
        {
            return 0;
        }
        int r1p = first.PaddedRank;
        int r2p = second.PaddedRank;
        var product = new double[r1p * r2p];
        DenseKernels.MultiplyTransposedAdd(first.Padded, second.Padded, product, first.PaddedDimension, r1p, r2p, upperOnly: false);
        var g = new double[r1 * r2];
        for (int i = 0; i < r1; i++)
        {
            product.AsSpan(i * r2p, r2).CopyTo(g.AsSpan(i * r2, r2));
        }
        double trace = 0;
        foreach (double sigma in SingularValues.Compute(g, r1, r2))
        {
            trace += sigma;
        }
        return trace;
    }
}
