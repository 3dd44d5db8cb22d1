using GanDsl.Imaging;

namespace GanDsl.Tests.Imaging;

public sealed class ImageGridTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Image k, pixel (x, y) gets a distinct exactly-representable level: 10 + 40k + 10y + x.</summary>
    private static float[] NumberedImages(int count, int height, int width)
    {
        var images = new float[count * height * width];
        for (int k = 0; k < count; k++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    images[(k * height + y) * width + x] = (10 + 40 * k + 10 * y + x) / 127.5f - 1f;
                }
            }
        }

        return images;
    }

    [Fact]
    public void Lays_out_tiles_row_major_with_padding_and_scaling()
    {
        const int count = 3, height = 2, width = 3, columns = 2, padding = 1, scale = 2;
        float[] images = NumberedImages(count, height, width);

        GrayImage grid = ImageGrid.Render(images, count, height, width, columns, padding, scale, background: 200);

        // 2 columns of 6-pixel tiles and 3 pads across; 2 rows of 4-pixel tiles and 3 pads down.
        Assert.Equal(2 * 6 + 3, grid.Width);
        Assert.Equal(2 * 4 + 3, grid.Height);
        Assert.Equal(grid.Width * grid.Height, grid.Pixels.Length);
        for (int gy = 0; gy < grid.Height; gy++)
        {
            for (int gx = 0; gx < grid.Width; gx++)
            {
                int expected = 200;
                int cellX = (gx - padding) / (width * scale + padding), inX = (gx - padding) % (width * scale + padding);
                int cellY = (gy - padding) / (height * scale + padding), inY = (gy - padding) % (height * scale + padding);
                int k = cellY * columns + cellX;
                if (gx >= padding && gy >= padding && inX < width * scale && inY < height * scale && k < count)
                {
                    expected = 10 + 40 * k + 10 * (inY / scale) + inX / scale;
                }

                Assert.True(expected == grid[gx, gy], $"pixel ({gx}, {gy}): expected {expected}, got {grid[gx, gy]}");
            }
        }
    }

    [Fact]
    public void A_single_unpadded_image_is_just_its_levels()
    {
        float[] images = NumberedImages(1, 4, 5);
        GrayImage grid = ImageGrid.Render(images, 1, 4, 5, padding: 0);
        Assert.Equal(5, grid.Width);
        Assert.Equal(4, grid.Height);
        Assert.Equal(images.Select(ImageGrid.ToLevel), grid.Pixels);
    }

    [Fact]
    public void Fewer_images_than_columns_narrow_the_grid()
    {
        GrayImage grid = ImageGrid.Render(new float[3 * 4], count: 3, height: 2, width: 2, columns: 8, padding: 2);
        Assert.Equal(3 * 2 + 4 * 2, grid.Width);
        Assert.Equal(2 + 2 * 2, grid.Height);
    }

    [Fact]
    public void Default_grid_of_64_mnist_samples_is_8_by_8()
    {
        GrayImage grid = ImageGrid.Render(new float[64 * 784], 64, 28, 28);
        Assert.Equal(8 * 28 + 9 * 2, grid.Width);
        Assert.Equal(8 * 28 + 9 * 2, grid.Height);
        Assert.Equal(255, grid[0, 0]);   // white padding by default
        Assert.Equal(128, grid[2, 2]);   // 0.0 is mid grey
    }

    [Fact]
    public void Levels_are_clamped_and_NaN_is_mid_grey()
    {
        float[] values = [-1f, 1f, 0f, -5f, 7f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, -0.5f, 0.5f];
        GrayImage grid = ImageGrid.Render(values, 1, 1, values.Length, padding: 0);
        Assert.Equal(new byte[] { 0, 255, 128, 0, 255, 0, 255, 128, 64, 191 }, grid.Pixels);
    }

    [Fact]
    public void Levels_invert_the_dataset_scaling_exactly()
    {
        for (int b = 0; b < 256; b++)
        {
            Assert.Equal(b, ImageGrid.ToLevel(b / 127.5f - 1f));
        }
    }

    [Fact]
    public void Save_writes_the_rendered_grid_as_a_png()
    {
        float[] images = NumberedImages(5, 3, 3);
        string path = Path.Combine(_dir.Path, "out", "grid.png");

        ImageGrid.Save(path, images, 5, 3, 3, columns: 3, padding: 1, scale: 3);

        GrayImage expected = ImageGrid.Render(images, 5, 3, 3, columns: 3, padding: 1, scale: 3);
        PngDecoder.Decoded png = PngDecoder.Decode(File.ReadAllBytes(path));
        Assert.Equal(expected.Width, png.Width);
        Assert.Equal(expected.Height, png.Height);
        Assert.Equal(expected.Pixels, png.Pixels);
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        float[] images = new float[2 * 4];
        Assert.Throws<ArgumentException>(() => ImageGrid.Render(images, 3, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Render(images, 0, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Render(images, 2, 2, 2, columns: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Render(images, 2, 2, 2, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Render(images, 2, 2, 2, scale: 0));
        Assert.Throws<ArgumentException>(() => ImageGrid.Render(new float[4], 1, 2, 2, scale: 1 << 20));
    }
}
