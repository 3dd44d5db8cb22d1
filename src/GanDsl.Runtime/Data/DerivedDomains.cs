using GanDsl.Randomness;

namespace GanDsl.Data;

/// <summary>
/// Second domains made from MNIST alone, for the image-to-image GANs (CoGAN's edges, DiscoGAN's rotations,
/// Pix2Pix's inpainting and super-resolution): each maps every image of a dataset (any channels; labels kept) to a
/// new one, deterministically.
/// </summary>
public static class DerivedDomains
{
    /// <summary>Philox stream of <see cref="Masked"/>'s square positions.</summary>
    public const ulong MaskStream = 0x8000;

    /// <summary>
    /// Edges: the 3x3 dilation of each image (the maximum over each pixel's neighbourhood, per channel) minus the
    /// image, as CoGAN's MNIST-edge experiment makes them: bright where a stroke ends, dark inside strokes and background.
    /// </summary>
    public static ImageDataset Edges(ImageDataset images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int c = images.Channels, h = images.Height, w = images.Width;
        return images.Map(c, h, w, (_, source, destination) =>
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        byte max = 0;
                        for (int dy = Math.Max(0, y - 1); dy <= Math.Min(h - 1, y + 1); dy++)
                        {
                            for (int dx = Math.Max(0, x - 1); dx <= Math.Min(w - 1, x + 1); dx++)
                            {
                                max = Math.Max(max, source[(dy * w + dx) * c + k]);
                            }
                        }

                        int at = (y * w + x) * c + k;
                        destination[at] = (byte)(max - source[at]);
                    }
                }
            }
        });
    }

    /// <summary>Each image turned 90 degrees counter-clockwise (as NumPy's <c>rot90</c>): (c, h, w) becomes (c, w, h).</summary>
    public static ImageDataset Rotated90(ImageDataset images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int c = images.Channels, h = images.Height, w = images.Width;
        return images.Map(c, w, h, (_, source, destination) =>
        {
            // Output row r, column q shows input row q, column w - 1 - r.
            for (int r = 0; r < w; r++)
            {
                for (int q = 0; q < h; q++)
                {
                    source.Slice((q * w + (w - 1 - r)) * c, c).CopyTo(destination.Slice((r * h + q) * c, c));
                }
            }
        });
    }

    /// <summary>Each image's negative: 255 - b.</summary>
    public static ImageDataset Inverted(ImageDataset images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Map(images.Channels, images.Height, images.Width, (_, source, destination) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = (byte)(255 - source[i]);
            }
        });
    }

    /// <summary>The images labelled <paramref name="label"/> (the 6s, the 9s), in their order.</summary>
    /// <exception cref="ArgumentException">The dataset has no labels, or none with that label.</exception>
    public static ImageDataset OfClass(ImageDataset images, int label)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (!images.HasLabels)
        {
            throw new ArgumentException("The dataset has no labels to choose a class by.", nameof(images));
        }

        var labels = images.Labels.Span;
        var indices = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == label)
            {
                indices.Add(i);
            }
        }

        return indices.Count > 0
            ? images.Select(indices.ToArray())
            : throw new ArgumentException($"No image is labelled {label} (labels are 0-{images.Classes - 1}).", nameof(label));
    }

    /// <summary>
    /// Each image with a <paramref name="size"/> x <paramref name="size"/> square set to <paramref name="fill"/>
    /// (inpainting's input; 0, black, by default), at a position drawn per image from Philox (<paramref name="seed"/>,
    /// <see cref="MaskStream"/>, the image's index).
    /// </summary>
    /// <param name="images">The images.</param>
    /// <param name="size">The square's side.</param>
    /// <param name="seed">Seed of the positions.</param>
    /// <param name="fill">The pixel value of the square: 0 is black, as MNIST's background; 128 is mid-grey, about 0 in
    /// a network's [-1, 1] input, which no MNIST digit or background has, so a network can see the hole.</param>
    public static ImageDataset Masked(ImageDataset images, int size, ulong seed = 0, byte fill = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        int c = images.Channels, h = images.Height, w = images.Width;
        if (size <= 0 || size > Math.Min(h, w))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"The square must fit the {h}x{w} images.");
        }

        return images.Map(c, h, w, (index, source, destination) =>
        {
            source.CopyTo(destination);
            var (x0, x1, _, _) = Philox.Block(seed, MaskStream, (ulong)index);
            int top = Philox.Below(x0, h - size + 1), left = Philox.Below(x1, w - size + 1);
            for (int y = top; y < top + size; y++)
            {
                destination.Slice((y * w + left) * c, size * c).Fill(fill);
            }
        });
    }

    /// <summary>Each image shrunk by <paramref name="factor"/> both ways, every output pixel the rounded mean of its factor x factor block (28x28 becomes 14x14).</summary>
    public static ImageDataset Downsampled(ImageDataset images, int factor = 2)
    {
        ArgumentNullException.ThrowIfNull(images);
        int c = images.Channels, h = images.Height, w = images.Width;
        if (factor <= 0 || h % factor != 0 || w % factor != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"The factor must divide the image size, {h}x{w}.");
        }

        int oh = h / factor, ow = w / factor, n = factor * factor;
        return images.Map(c, oh, ow, (_, source, destination) =>
        {
            for (int y = 0; y < oh; y++)
            {
                for (int x = 0; x < ow; x++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        int sum = 0;
                        for (int dy = 0; dy < factor; dy++)
                        {
                            for (int dx = 0; dx < factor; dx++)
                            {
                                sum += source[((y * factor + dy) * w + x * factor + dx) * c + k];
                            }
                        }

                        destination[(y * ow + x) * c + k] = (byte)((sum + n / 2) / n);
                    }
                }
            }
        });
    }
}
