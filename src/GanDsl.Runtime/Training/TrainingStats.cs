namespace GanDsl;

/// <summary>Averages over a stretch of training steps.</summary>
/// <param name="Steps">Steps averaged.</param>
/// <param name="DiscriminatorLoss">Mean discriminator loss: BCE on real plus BCE on fake.</param>
/// <param name="GeneratorLoss">Mean generator loss.</param>
/// <param name="RealScore">Mean D(x): the discriminator's probability that real images are real.</param>
/// <param name="FakeScore">Mean D(G(z)) before the discriminator's update: its probability that generated images are real.</param>
public readonly record struct TrainingStats(long Steps, double DiscriminatorLoss, double GeneratorLoss, double RealScore, double FakeScore)
{
    /// <summary>Whether every average is a finite number.</summary>
    public bool IsFinite =>
        double.IsFinite(DiscriminatorLoss) && double.IsFinite(GeneratorLoss) && double.IsFinite(RealScore) && double.IsFinite(FakeScore);
}

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">The epoch, counting from 1.</param>
/// <param name="Stats">Averages of the step's statistics over its steps.</param>
/// <param name="ImagesPerSecond">Images (per domain) consumed per second of training.</param>
/// <param name="Elapsed">Training time since <see cref="Trainer.Fit"/> started.</param>
/// <param name="SamplePath">The sample grid written at its end, if any.</param>
public sealed record EpochResult(int Epoch, StatisticValues Stats, double ImagesPerSecond, TimeSpan Elapsed, string? SamplePath);

/// <summary>Thrown when a loss stops being a finite number; training cannot recover from that by itself.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
