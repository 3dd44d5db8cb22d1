namespace GanDsl.Evaluation;

/// <summary>The <see cref="ClassifierScore"/> of each split of a set, with their mean and population standard deviation.</summary>
/// <param name="Mean">The mean of <paramref name="Scores"/>.</param>
/// <param name="StandardDeviation">The population standard deviation of <paramref name="Scores"/> (divides by the number of splits, like numpy.std).</param>
/// <param name="Scores">The score of each split, in order.</param>
public sealed record ClassifierScoreSplits(double Mean, double StandardDeviation, IReadOnlyList<double> Scores);
