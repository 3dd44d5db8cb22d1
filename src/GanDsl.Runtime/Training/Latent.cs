using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// One part of a latent vector that a step draws on the device every step (<see cref="StepContext.Latent"/>): Gaussian
/// noise, a one-hot categorical code, or uniform continuous codes, as InfoGAN's generator takes them.
/// </summary>
public abstract record LatentPart
{
    private protected LatentPart(int width, int codeWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Width = width;
        CodeWidth = codeWidth;
    }

    /// <summary>Columns the part takes in the latent vector.</summary>
    public int Width { get; }

    /// <summary>Columns of the part's code (<see cref="LatentCodes.Code"/>): its values, or 1 for a categorical part's class.</summary>
    public int CodeWidth { get; }

    /// <summary><paramref name="width"/> values from N(0, 1).</summary>
    public static LatentPart Normal(int width) => new NormalLatent(width);

    /// <summary>One of <paramref name="classes"/> classes, uniformly, as a one-hot vector; its code is the class (a float, as labels are).</summary>
    public static LatentPart Categorical(int classes) => new CategoricalLatent(classes);

    /// <summary><paramref name="width"/> values from U(<paramref name="low"/>, <paramref name="high"/>) (InfoGAN's continuous codes: U(-1, 1)).</summary>
    public static LatentPart Uniform(int width, float low = -1f, float high = 1f) => new UniformLatent(width, low, high);
}

/// <summary>N(0, 1) noise.</summary>
internal sealed record NormalLatent(int Size) : LatentPart(Size, Size);

/// <summary>A one-hot code of one of <paramref name="Classes"/> classes.</summary>
internal sealed record CategoricalLatent(int Classes) : LatentPart(Classes, 1);

/// <summary>Uniform codes in [Low, High).</summary>
internal sealed record UniformLatent : LatentPart
{
    public UniformLatent(int size, float low, float high)
        : base(size, size)
    {
        if (!(float.IsFinite(low) && float.IsFinite(high) && low < high))
        {
            throw new ArgumentException($"A uniform latent part needs finite bounds with low < high, not [{low}, {high}).");
        }

        (Low, High) = (low, high);
    }

    public float Low { get; }

    public float High { get; }
}

/// <summary>
/// A latent vector's parts, declared by a step (<see cref="TrainingStep.AddLatent"/>), and the codes drawn for them on
/// the last <see cref="StepContext.Latent"/>: what an information loss compares the Q head's predictions with.
/// </summary>
public sealed class LatentCodes
{
    private readonly Tensor[] _codes;
    private readonly int[] _offsets;

    internal LatentCodes(IReadOnlyList<LatentPart> parts, DeviceBuffer memory, int rows)
    {
        Parts = parts;
        _codes = new Tensor[parts.Count];
        _offsets = new int[parts.Count];
        long at = 0;
        int column = 0;
        for (int k = 0; k < parts.Count; k++)
        {
            _codes[k] = memory.View(at, rows, parts[k].CodeWidth);
            _offsets[k] = column;
            at += (long)rows * parts[k].CodeWidth;
            column += parts[k].Width;
        }

        Width = column;
        Rows = rows;
    }

    /// <summary>The parts, in column order.</summary>
    public IReadOnlyList<LatentPart> Parts { get; }

    /// <summary>Columns of the whole latent vector.</summary>
    public int Width { get; }

    /// <summary>The most rows one draw fills (the step's batch, or what it declared).</summary>
    public int Rows { get; }

    /// <summary>The first column of part <paramref name="part"/>.</summary>
    public int Offset(int part) => _offsets[part];

    /// <summary>
    /// Part <paramref name="part"/>'s codes of the last draw's first <paramref name="rows"/> rows: (rows, width) values, or
    /// (rows, 1) classes for a categorical part.
    /// </summary>
    public Tensor Code(int part, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, _codes.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Rows);
        return _codes[part].Slice(0, rows);
    }
}
