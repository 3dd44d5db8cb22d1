using GanDsl.Imaging;

namespace GanDsl.Tests.Imaging;

public sealed class PngWriterTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Encode(byte[] pixels, int width, int height)
    {
        var stream = new MemoryStream();
        PngWriter.Write(stream, pixels, width, height);
        return stream.ToArray();
    }

    private static byte[] Pattern(int width, int height, Func<int, int, int> level)
    {
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                pixels[y * width + x] = (byte)level(x, y);
            }
        }

        return pixels;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(28, 28)]
    [InlineData(257, 13)]
    [InlineData(3, 200)]
    public void Random_pixels_survive_a_round_trip(int width, int height)
    {
        var pixels = new byte[width * height];
        new Random(width * 1000 + height).NextBytes(pixels);

        PngDecoder.Decoded png = PngDecoder.Decode(Encode(pixels, width, height));

        Assert.Equal(width, png.Width);
        Assert.Equal(height, png.Height);
        Assert.Equal(pixels, png.Pixels);
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.Chunks);
    }

    [Fact]
    public void Rows_are_filtered_with_whichever_of_None_Sub_Up_fits()
    {
        // Horizontal ramp: Sub leaves a row of constant residuals. Vertical stripes that repeat
        // from row to row: Up leaves zeros (after the first row). Noise: nothing beats None.
        byte[] ramp = Pattern(64, 4, (x, y) => x * 3 + y * 50);
        byte[] stripes = Pattern(64, 4, (x, _) => x * 97 % 251);
        byte[] noise = new byte[64 * 4];
        new Random(7).NextBytes(noise);

        PngDecoder.Decoded a = PngDecoder.Decode(Encode(ramp, 64, 4));
        PngDecoder.Decoded b = PngDecoder.Decode(Encode(stripes, 64, 4));
        PngDecoder.Decoded c = PngDecoder.Decode(Encode(noise, 64, 4));

        Assert.Equal(ramp, a.Pixels);
        Assert.Equal(stripes, b.Pixels);
        Assert.Equal(noise, c.Pixels);
        Assert.All(a.RowFilters, f => Assert.Equal(1, f));
        Assert.Equal([2, 2, 2], b.RowFilters[1..]);
        Assert.All(c.RowFilters, f => Assert.InRange(f, 0, 2));
    }

    [Fact]
    public void Crc32_matches_the_standard_check_values()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
        Assert.Equal(PngDecoder.Crc32("IHDR and some more bytes"u8), Crc32.Compute("IHDR and some more bytes"u8));
    }

    [Fact]
    public void Ends_with_the_standard_IEND_chunk()
    {
        byte[] png = Encode([0, 255], 2, 1);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);
    }

    [Fact]
    public void Stream_overload_writes_at_the_current_position_and_leaves_the_stream_open()
    {
        var stream = new MemoryStream();
        stream.Write([1, 2, 3]);
        PngWriter.Write(stream, [10, 20, 30, 40], 2, 2);

        Assert.True(stream.CanWrite);
        byte[] all = stream.ToArray();
        Assert.Equal(new byte[] { 1, 2, 3 }, all[..3]);
        Assert.Equal(new byte[] { 10, 20, 30, 40 }, PngDecoder.Decode(all[3..]).Pixels);
    }

    [Fact]
    public void File_overload_creates_the_directory_replaces_the_file_and_leaves_no_temporary()
    {
        string path = Path.Combine(_dir.Path, "samples", "epoch-001.png");
        PngWriter.Write(path, [1, 2, 3, 4, 5, 6], 3, 2);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, PngDecoder.Decode(File.ReadAllBytes(path)).Pixels);

        PngWriter.Write(path, [9, 8], 1, 2);
        Assert.Equal(new byte[] { 9, 8 }, PngDecoder.Decode(File.ReadAllBytes(path)).Pixels);
        Assert.Equal(["epoch-001.png"], Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Bad_arguments_throw_and_write_nothing()
    {
        string path = _dir.File("bad.png");
        Assert.Throws<ArgumentException>(() => PngWriter.Write(path, new byte[5], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.Write(path, [], 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.Write(path, [], 1, -1));
        Assert.Throws<ArgumentNullException>(() => PngWriter.Write((Stream)null!, new byte[1], 1, 1));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }
}
