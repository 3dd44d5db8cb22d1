using System.ComponentModel;

namespace GanDsl.Backends;

/// <summary>
/// A dataset of 8-bit images kept on a backend (on a GPU: in device memory, as bytes) with an order
/// in which batches are drawn. <see cref="Backend.GatherImages(ImageSet, CounterValue, Tensor, PixelScale)"/> reads batches in that order.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ImageSet : IDisposable
{
    /// <summary>Describes <paramref name="count"/> images of <paramref name="pixelsPerImage"/> bytes.</summary>
    protected ImageSet(int count, int pixelsPerImage, bool hasLabels)
    {
        Count = count;
        PixelsPerImage = pixelsPerImage;
        HasLabels = hasLabels;
    }

    /// <summary>Whether class labels were given with the images.</summary>
    public bool HasLabels { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Bytes per image.</summary>
    public int PixelsPerImage { get; }

    /// <summary>Sets the order in which <see cref="Backend.GatherImages(ImageSet, CounterValue, Tensor, PixelScale)"/> reads images (a permutation of 0..Count-1).</summary>
    public void SetOrder(ReadOnlySpan<int> order)
    {
        if (order.Length != Count)
        {
            throw new ArgumentException($"The order has {order.Length} entries for {Count} images.", nameof(order));
        }

        foreach (int index in order)
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(order), $"Image index {index} is outside 0..{Count - 1}.");
            }
        }

        SetOrderCore(order);
    }

    /// <summary>See <see cref="SetOrder"/>; the indices are already checked.</summary>
    protected abstract void SetOrderCore(ReadOnlySpan<int> order);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the images.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>What a gathered image's bytes become.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum PixelScale
{
    /// <summary><c>b / 127.5 - 1</c>: [-1, 1], what a Tanh generator makes (the default).</summary>
    MinusOneToOne,

    /// <summary><c>b / 255</c>: [0, 1], what a Sigmoid output and cross-entropy on probabilities want.</summary>
    ZeroToOne,
}
