using System.Buffers.Binary;
using System.Security.Cryptography;
using GanDsl.Data;

namespace GanDsl.Tests.Data;

/// <summary>Loads the real MNIST (from <see cref="TestData.MnistDirectory"/>) once for <see cref="RealMnistTests"/>.</summary>
public sealed class RealMnistFixture
{
    public RealMnistFixture()
    {
        // The files are there, so nothing may be downloaded: any HTTP request fails the load.
        using var http = new HttpClient(new FakeHttpHandler(_ => throw new InvalidOperationException("no downloads expected")));
        var log = new StringWriter();
        Data = Mnist.Load(TestData.MnistDirectory, log, http);
        Log = log.ToString();
    }

    public MnistData Data { get; }

    public string Log { get; }
}

public sealed class RealMnistTests(RealMnistFixture fixture) : IClassFixture<RealMnistFixture>
{
    private MnistDataset Train => fixture.Data.Train;

    private MnistDataset Test => fixture.Data.Test;

    [Fact]
    public void Loads_from_the_shared_directory_without_downloading()
    {
        Assert.Equal(Path.GetFullPath(TestData.MnistDirectory), fixture.Data.Directory);
        Assert.DoesNotContain("downloading", fixture.Log);
        Assert.Contains("60000 training and 10000 test images of 28x28", fixture.Log);
    }

    [Fact]
    public void Has_the_standard_sizes()
    {
        Assert.Equal(60_000, Train.Count);
        Assert.Equal(10_000, Test.Count);
        foreach (MnistDataset split in new[] { Train, Test })
        {
            Assert.Equal(28, split.Rows);
            Assert.Equal(28, split.Cols);
            Assert.Equal(784, split.PixelsPerImage);
            Assert.Equal(split.Count * 784, split.Images.Length);
            Assert.Equal(split.Count, split.Labels.Length);
        }
    }

    [Fact]
    public void Has_the_known_label_histograms()
    {
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], Train.LabelHistogram());
        Assert.Equal([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], Test.LabelHistogram());
    }

    [Fact]
    public void Has_the_known_first_labels()
    {
        Assert.Equal(new byte[] { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 }, Train.Labels[..10].ToArray());
        Assert.Equal(new byte[] { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 }, Test.Labels[..10].ToArray());
    }

    /// <summary>The header rebuilt from the dimensions plus the payload hash to the README's SHA-256s: the bytes are exact.</summary>
    [Theory]
    [InlineData("train", "images", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db")]
    [InlineData("train", "labels", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5")]
    [InlineData("test", "images", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7")]
    [InlineData("test", "labels", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")]
    public void Content_matches_the_published_sha256(string split, string part, string sha256)
    {
        MnistDataset data = split == "train" ? Train : Test;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (part == "images")
        {
            hash.AppendData(Header(0x00000803, data.Count, data.Rows, data.Cols));
            hash.AppendData(data.Images.Span);
        }
        else
        {
            hash.AppendData(Header(0x00000801, data.Count));
            hash.AppendData(data.Labels.Span);
        }

        Assert.Equal(sha256, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static byte[] Header(uint magic, params int[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        }

        return header;
    }

    [Fact]
    public void Pixels_scale_to_minus_one_one()
    {
        ReadOnlySpan<byte> bytes = Train.Images.Span[..784];
        float[] image = new float[784];
        Train.CopyImage(0, image);

        for (int i = 0; i < 784; i++)
        {
            Assert.Equal(bytes[i] / 127.5f - 1f, image[i]);
        }

        Assert.Equal(-1f, image[0]); // the corner is background
        Assert.Equal(1f, image.Max()); // the first digit (a 5) has fully white pixels
        Assert.Equal(27525, SumOf(bytes));
    }

    [Fact]
    public void Pixels_span_the_full_byte_range()
    {
        ReadOnlySpan<byte> all = Test.Images.Span;
        Assert.Equal(0, all[0]);
        Assert.True(all.Contains((byte)255));
        float[] last = new float[784];
        Test.CopyImage(Test.Count - 1, last);
        Assert.All(last, v => Assert.InRange(v, -1f, 1f));
    }

    private static int SumOf(ReadOnlySpan<byte> bytes)
    {
        int sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return sum;
    }
}
