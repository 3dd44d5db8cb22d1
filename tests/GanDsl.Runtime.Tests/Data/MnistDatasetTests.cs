using GanDsl.Data;
using static GanDsl.Tests.Data.IdxBytes;

namespace GanDsl.Tests.Data;

public sealed class MnistDatasetTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteFile(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void FromFiles_reads_a_matching_pair()
    {
        string images = WriteFile("train-images-idx3-ubyte.gz", Gzip(Images(12, seed: 3)));
        string labels = WriteFile("train-labels-idx1-ubyte", CyclingLabels(12));

        MnistDataset data = MnistDataset.FromFiles(images, labels);

        Assert.Equal(12, data.Count);
        Assert.Equal(28, data.Rows);
        Assert.Equal(28, data.Cols);
        Assert.Equal(784, data.PixelsPerImage);
        Assert.Equal(12 * 784, data.Images.Length);
        Assert.Equal(ImagePixels(12, seed: 3), data.Images.ToArray());
        Assert.Equal([2, 2, 1, 1, 1, 1, 1, 1, 1, 1], data.LabelHistogram());
        Assert.Equal(1, data.GetLabel(11));
    }

    [Fact]
    public void Count_mismatch_names_both_files()
    {
        string images = WriteFile("train-images-idx3-ubyte", Images(5));
        string labels = WriteFile("train-labels-idx1-ubyte", CyclingLabels(4));

        var e = Assert.Throws<MnistFormatException>(() => MnistDataset.FromFiles(images, labels));

        Assert.Equal(labels, e.FilePath);
        Assert.Contains(labels, e.Message);
        Assert.Contains(images, e.Message);
        Assert.Contains("count mismatch: 4 labels", e.Message);
        Assert.Contains("holds 5 images", e.Message);
    }

    [Fact]
    public void Label_above_nine_names_its_index()
    {
        string images = WriteFile("t10k-images-idx3-ubyte", Images(6));
        string labels = WriteFile("t10k-labels-idx1-ubyte.gz", Gzip(Labels(0, 9, 3, 10, 4, 200)));

        var e = Assert.Throws<MnistFormatException>(() => MnistDataset.FromFiles(images, labels));

        Assert.Equal(labels, e.FilePath);
        Assert.Contains("label 10 at index 3 is out of range", e.Message);
        Assert.Contains("0-9", e.Message);
    }

    [Fact]
    public void Malformed_file_error_passes_through_FromFiles()
    {
        string images = WriteFile("x-images", Labels(1, 2));
        string labels = WriteFile("x-labels", Labels(1, 2));
        var e = Assert.Throws<MnistFormatException>(() => MnistDataset.FromFiles(images, labels));
        Assert.Equal(images, e.FilePath);
    }

    [Fact]
    public void CopyImage_scales_bytes_to_minus_one_one()
    {
        byte[] pixels = new byte[2 * 2 * 3];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 23);
        }

        pixels[6] = 0;
        pixels[7] = 255;
        MnistDataset data = MnistDataset.Create(pixels, [4, 2], rows: 2, cols: 3);

        Span<float> image = stackalloc float[8];
        image.Fill(42f);
        data.CopyImage(1, image);

        Assert.Equal(-1f, image[0]);
        Assert.Equal(1f, image[1]);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(pixels[6 + i] / 127.5f - 1f, image[i]);
        }

        Assert.Equal(42f, image[6]); // only PixelsPerImage floats are written
        Assert.Equal(42f, image[7]);
    }

    [Fact]
    public void CopyImages_gathers_a_batch_in_index_order()
    {
        byte[] pixels = ImagePixels(5, rows: 2, cols: 2, seed: 1);
        MnistDataset data = MnistDataset.Create(pixels, [0, 1, 2, 3, 4], rows: 2, cols: 2);

        float[] batch = new float[3 * 4];
        data.CopyImages([4, 0, 4], batch);

        float[] single = new float[4];
        int[] order = [4, 0, 4];
        for (int i = 0; i < order.Length; i++)
        {
            data.CopyImage(order[i], single);
            Assert.Equal(single, batch.AsSpan(i * 4, 4).ToArray());
        }
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        MnistDataset data = MnistDataset.Create(new byte[2 * 4], [1, 2], rows: 2, cols: 2);
        float[] room = new float[4];

        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyImage(2, room));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyImage(-1, room));
        Assert.Throws<ArgumentException>(() => data.CopyImage(0, new float[3]));
        Assert.Throws<ArgumentException>(() => data.CopyImages([0, 1], new float[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyImages([0, 5], new float[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetLabel(2));
        Assert.Throws<ArgumentException>(() => MnistDataset.Create(new byte[7], [1, 2], rows: 2, cols: 2));
        var e = Assert.Throws<ArgumentException>(() => MnistDataset.Create(new byte[8], [1, 12], rows: 2, cols: 2));
        Assert.Contains("Label 12 at index 1", e.Message);
    }

    [Fact]
    public void Create_copies_its_input()
    {
        byte[] pixels = [1, 2, 3, 4];
        byte[] labels = [7];
        MnistDataset data = MnistDataset.Create(pixels, labels, rows: 2, cols: 2);
        pixels[0] = 99;
        labels[0] = 3;
        Assert.Equal(1, data.Images.Span[0]);
        Assert.Equal(7, data.GetLabel(0));
    }
}
