using System.ComponentModel;

namespace GanDsl.Randomness;

/// <summary>
/// Philox stream ids, one per purpose, so that (for one seed) parameter initialisation, noise,
/// shuffling and dropout never draw the same numbers.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
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

    /// <summary>Dropout masks; the dropout layer's index is added.</summary>
    public const ulong Dropout = 0x4000;

    /// <summary>Labels asked of a conditional generator during training.</summary>
    public const ulong Labels = 0x5000;

    /// <summary>WGAN-GP's interpolation weights between real and generated images.</summary>
    public const ulong Interpolation = 0x6000;

    /// <summary>Latent vectors drawn by steps (<c>StepContext.Latent</c>); see <see cref="LatentPart(int, int)"/>.</summary>
    public const ulong Latent = 0x7000;

    /// <summary>Epoch shuffles of the dataset; an unpaired domain's index is added.</summary>
    public const ulong Shuffle = 0x3000;

    /// <summary>
    /// The stream of part <paramref name="part"/> of a step's latent draw <paramref name="draw"/> (<c>StepContext.Latent</c>):
    /// <see cref="Latent"/> plus the part for the first draw, then streams above every fixed one.
    /// </summary>
    public static ulong LatentPart(int draw, int part) =>
        draw >= 0 && part is >= 0 and < 0x1000
            ? Latent + (ulong)part + ((ulong)draw << 32)
            : throw new ArgumentOutOfRangeException(nameof(draw), draw, "Draws are numbered from 0, and a latent vector has fewer than 4,096 parts.");

    /// <summary>
    /// The stream of a training step's draw <paramref name="draw"/> (<c>StepContext.Normal</c>): <see cref="Noise"/> for
    /// the first, then streams above every fixed one.
    /// </summary>
    public static ulong StepNoise(int draw) =>
        draw >= 0 ? Noise + ((ulong)draw << 32) : throw new ArgumentOutOfRangeException(nameof(draw), draw, "Draws are numbered from 0.");
}
