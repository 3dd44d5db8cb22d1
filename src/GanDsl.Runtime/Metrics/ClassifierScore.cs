namespace GanDsl.Evaluation;

/// <summary>
/// The classifier score of a set of generated images: the Inception Score of Salimans et al. (2016),
/// "Improved Techniques for Training GANs", with GanDsl's MNIST classifier in place of InceptionV3
/// (the "MNIST score" of TF-GAN).
/// </summary>
/// <remarks>
/// <para>
/// Score = exp( (1/n) Σₓ KL( p(y|x) ‖ p(y) ) ), where p(y) = (1/n) Σₓ p(y|x) is the marginal over the
/// set and KL(p ‖ q) = Σ_y p_y ln(p_y / q_y), with 0·ln 0 = 0. It equals exp(H(p(y)) − mean H(p(y|x))):
/// high when every image is classified confidently (low conditional entropy) and the classes are
/// evenly used (high marginal entropy). It lies in [1, classes]: 1 when every row is the same
/// distribution (one class only, or uniform predictions), the number of classes for confident
/// predictions spread evenly over all of them.
/// </para>
/// <para>
/// Input: p(y|x) as an n × classes row-major matrix of probabilities (the classifier's softmax). Rows
/// must be finite and non-negative and sum to 1 within 1e-3 (float softmax rounding); each row is
/// renormalised to sum exactly 1 in double precision before use. Logits are rejected by that check.
/// </para>
/// </remarks>
public static class ClassifierScore
{
    /// <summary>How far a row's sum may stray from 1 before it is rejected as not a distribution.</summary>
    public const double RowSumTolerance = 1e-3;

    /// <summary>The score over all <paramref name="rows"/> of <paramref name="probabilities"/> (rows × classes, row-major).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No rows, or fewer than 2 classes.</exception>
    /// <exception cref="ArgumentException">The length is not rows × classes, or a row is not a probability distribution.</exception>
    public static double Compute(ReadOnlySpan<float> probabilities, int rows, int classes)
    {
        var normalized = Normalize(probabilities, rows, classes);
        return Score(normalized, 0, rows, classes);
    }

    /// <summary>
    /// The score on each of <paramref name="splits"/> consecutive parts of the set, with their mean and
    /// population standard deviation: the "mean ± std over 10 splits" that Salimans et al. report.
    /// Part i holds rows [⌊i·n/S⌋, ⌊(i+1)·n/S⌋), so every row is used and part sizes differ by at most
    /// one. Shuffle the rows first if their order is not random (for example grouped by class).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 classes, or splits outside [1, rows].</exception>
    /// <exception cref="ArgumentException">The length is not rows × classes, or a row is not a probability distribution.</exception>
    public static ClassifierScoreSplits ComputeSplits(ReadOnlySpan<float> probabilities, int rows, int classes, int splits = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(splits, Math.Max(rows, 1));
        var normalized = Normalize(probabilities, rows, classes);
        var scores = new double[splits];
        for (int i = 0; i < splits; i++)
        {
            int start = (int)((long)i * rows / splits);
            int end = (int)((long)(i + 1) * rows / splits);
            scores[i] = Score(normalized, start, end, classes);
        }
        double mean = scores.Average();
        double variance = 0;
        foreach (double s in scores)
        {
            variance += (s - mean) * (s - mean);
        }
        return new ClassifierScoreSplits(mean, Math.Sqrt(variance / splits), scores);
    }

    /// <summary>Checks the rows and returns them in double precision, each summing to 1.</summary>
    private static double[] Normalize(ReadOnlySpan<float> probabilities, int rows, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        MetricArguments.CheckMatrix(probabilities, rows, classes, minimumRows: 1, nameof(probabilities));
        var normalized = new double[rows * classes];
        for (int k = 0; k < rows; k++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(k * classes, classes);
            double sum = 0;
            foreach (float p in row)
            {
                if (p < 0)
                {
                    throw new ArgumentException($"Row {k} holds the negative probability {p}.", nameof(probabilities));
                }
                sum += p;
            }
            if (Math.Abs(sum - 1) > RowSumTolerance)
            {
                throw new ArgumentException($"Row {k} sums to {sum}, not 1: pass softmax probabilities, not logits.", nameof(probabilities));
            }
            Span<double> target = normalized.AsSpan(k * classes, classes);
            for (int j = 0; j < classes; j++)
            {
                target[j] = row[j] / sum;
            }
        }
        return normalized;
    }

    /// <summary>exp of the mean KL divergence from the marginal, over rows [start, end).</summary>
    private static double Score(double[] p, int start, int end, int classes)
    {
        int n = end - start;
        var logMarginal = new double[classes];
        for (int k = start; k < end; k++)
        {
            for (int j = 0; j < classes; j++)
            {
                logMarginal[j] += p[k * classes + j];
            }
        }
        for (int j = 0; j < classes; j++)
        {
            // A class no row gives weight has no terms below, so its −∞ is never read.
            logMarginal[j] = Math.Log(logMarginal[j] / n);
        }
        double divergence = 0;
        for (int k = start; k < end; k++)
        {
            for (int j = 0; j < classes; j++)
            {
                double pj = p[k * classes + j];
                if (pj > 0)
                {
                    divergence += pj * (Math.Log(pj) - logMarginal[j]);
                }
            }
        }
        // KL ≥ 0; rounding can leave −1e-17 when every row is the same.
        return Math.Exp(Math.Max(divergence / n, 0));
    }
}
