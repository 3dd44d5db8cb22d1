namespace GanDsl.Imaging;

/// <summary>An 8-bit grey-scale image: <see cref="Width"/> x <see cref="Height"/> bytes, row-major, 0 = black.</summary>
public sealed class GrayImage
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The sizes do not agree.</exception>
    public GrayImage(byte[] pixels, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height != pixels.Length)
        {
            throw new ArgumentException($"{pixels.Length} pixels do not make a {width}x{height} image.", nameof(pixels));
        }

        Pixels = pixels;
        Width = width;
        Height = height;
    }

    /// <summary>The grey levels, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The grey level at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int x, int y] => Pixels[checked(y * Width + x)];
}

/// <summary>
/// Tiles a batch of images (generator samples, say) into one picture and saves it as a PNG.
/// </summary>
/// <remarks>
/// <para>Pixel values are floats in [-1, 1], mapped linearly to grey levels: -1 is black (0), 1 is
/// white (255), 0 is mid grey (128); that is the inverse of <c>b / 127.5f - 1f</c>, so MNIST
/// pixels come back exactly. Values outside [-1, 1] are clamped (infinities too); NaN is drawn as
/// mid grey (128), so a diverged generator shows as flat grey tiles rather than failing.</para>
/// <para>Image <c>i</c> goes to grid row <c>i / columns</c>, column <c>i % columns</c>. Each image
/// is magnified <c>scale</c> times by pixel replication; <c>padding</c> pixels of
/// <c>background</c> (white by default, which frames MNIST's black-backed digits) separate the
/// tiles and surround the grid. When there are fewer images than <c>columns</c>, the grid
/// narrows to the number of images; empty cells in the last row are background.</para>
/// </remarks>
public static class ImageGrid
{
    /// <summary>The grey level NaN is drawn with.</summary>
    public const byte NaNLevel = 128;

    /// <summary>Renders the grid (see <see cref="Render"/>) and writes it as a PNG, atomically.</summary>
    /// <param name="path">The PNG file to create or replace.</param>
    /// <param name="images"><paramref name="count"/> images of <paramref name="height"/> x <paramref name="width"/> floats, row-major, one after another.</param>
    /// <param name="count">The number of images, at least 1.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="columns">Images per grid row.</param>
    /// <param name="padding">Background pixels between tiles and around the grid (not scaled).</param>
    /// <param name="scale">Magnification of each image, at least 1.</param>
    /// <param name="background">The grey level of the padding and of empty cells.</param>
    public static void Save(string path, ReadOnlySpan<float> images, int count, int height, int width,
        int columns = 8, int padding = 2, int scale = 1, byte background = 255)
    {
        GrayImage grid = Render(images, count, height, width, columns, padding, scale, background);
        PngWriter.Write(path, grid.Pixels, grid.Width, grid.Height);
    }

    /// <summary>Lays the images out in a grid and returns the grey-level picture.</summary>
    /// <param name="images"><paramref name="count"/> images of <paramref name="height"/> x <paramref name="width"/> floats, row-major, one after another.</param>
    /// <param name="count">The number of images, at least 1.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="columns">Images per grid row.</param>
    /// <param name="padding">Background pixels between tiles and around the grid (not scaled).</param>
    /// <param name="scale">Magnification of each image, at least 1.</param>
    /// <param name="background">The grey level of the padding and of empty cells.</param>
    /// <returns>A picture of <c>cols * width * scale + (cols + 1) * padding</c> by
    /// <c>rows * height * scale + (rows + 1) * padding</c> pixels, where <c>cols = min(columns, count)</c>
    /// and <c>rows = ceil(count / cols)</c>.</returns>
    public static GrayImage Render(ReadOnlySpan<float> images, int count, int height, int width,
        int columns = 8, int padding = 2, int scale = 1, byte background = 255)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);

        long imagePixels = (long)height * width;
        if (imagePixels * count > images.Length)
        {
            throw new ArgumentException(
                $"{images.Length} floats do not hold {count} images of {height}x{width} ({imagePixels * count} floats).",
                nameof(images));
        }

        int cols = Math.Min(columns, count);
        int rows = (count + cols - 1) / cols;
        long tileWidth = (long)width * scale;
        long tileHeight = (long)height * scale;
        long gridWidth = cols * tileWidth + (cols + 1L) * padding;
        long gridHeight = rows * tileHeight + (rows + 1L) * padding;
        if (gridWidth > int.MaxValue || gridHeight > int.MaxValue || gridWidth * gridHeight > Array.MaxLength)
        {
            throw new ArgumentException($"A {gridWidth}x{gridHeight} grid is too large.");
        }

        int gw = (int)gridWidth;
        var pixels = new byte[gridWidth * gridHeight];
        pixels.AsSpan().Fill(background);

        int tw = (int)tileWidth;
        Span<byte> line = tw <= 4096 ? stackalloc byte[tw] : new byte[tw];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> image = images.Slice((int)(i * imagePixels), (int)imagePixels);
            int left = padding + i % cols * (tw + padding);
            int top = padding + i / cols * ((int)tileHeight + padding);
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<float> source = image.Slice(y * width, width);
                for (int x = 0; x < width; x++)
                {
                    line.Slice(x * scale, scale).Fill(ToLevel(source[x]));
                }

                for (int r = 0; r < scale; r++)
                {
                    line.CopyTo(pixels.AsSpan((top + y * scale + r) * gw + left, tw));
                }
            }
        }

        return new GrayImage(pixels, gw, (int)gridHeight);
    }

    /// <summary>The grey level for <paramref name="value"/>: round((clamp(v, -1, 1) + 1) * 127.5), NaN as <see cref="NaNLevel"/>.</summary>
    public static byte ToLevel(float value)
    {
        if (float.IsNaN(value))
        {
            return NaNLevel;
        }

        float v = Math.Clamp(value, -1f, 1f);
        return (byte)(int)((v + 1f) * 127.5f + 0.5f);
    }
}
