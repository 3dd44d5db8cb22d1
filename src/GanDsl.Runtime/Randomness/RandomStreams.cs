namespace GanDsl.Randomness;

/// <summary>
/// Philox stream ids, one per purpose, so that (for one seed) parameter initialisation, noise,
/// shuffling and dropout never draw the same numbers.
/// </summary>
public static class RandomStreams
{
    /// <summary>Parameter initialisation; the parameter tensor's index is added.</summary>
    public const ulong Initialization = 0x1000;

    /// <summary>Generator noise during training.</summary>
    public const ulong Noise = 0x2000;

    /// <summary>The fixed noise batch behind the sample grids.</summary>
    public const ulong FixedNoise = 0x2001;

    /// <summary>Noise for evaluation and export (<c>GanTrainer.Generate</c>).</summary>
    public const ulong Evaluation = 0x2002;

    /// <summary>Epoch shuffles of the dataset.</summary>
    public const ulong Shuffle = 0x3000;
}
