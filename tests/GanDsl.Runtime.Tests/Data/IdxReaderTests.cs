using GanDsl.Data;
using static GanDsl.Tests.Data.IdxBytes;

namespace GanDsl.Tests.Data;

public sealed class IdxReaderTests : IDisposable
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
    public void Reads_raw_and_gzip_images_alike()
    {
        byte[] raw = Images(3, rows: 5, cols: 4, seed: 11);
        string rawPath = WriteFile("images-idx3-ubyte", raw);
        string gzPath = WriteFile("images-idx3-ubyte.gz", Gzip(raw));

        foreach (string path in new[] { rawPath, gzPath })
        {
            IdxArray images = IdxReader.ReadImages(path);
            Assert.Equal(path, images.Path);
            Assert.Equal([3, 5, 4], images.Dimensions);
            Assert.Equal(3, images.Count);
            Assert.Equal(ImagePixels(3, 5, 4, seed: 11), images.Data.ToArray());
        }
    }

    [Fact]
    public void Reads_labels()
    {
        string path = WriteFile("labels.gz", Gzip(Labels(7, 2, 1, 0, 4)));
        IdxArray labels = IdxReader.ReadLabels(path);
        Assert.Equal([5], labels.Dimensions);
        Assert.Equal(new byte[] { 7, 2, 1, 0, 4 }, labels.Data.ToArray());
    }

    [Fact]
    public void Detects_gzip_by_content_not_by_name()
    {
        byte[] raw = Images(2, rows: 3, cols: 3);
        string gzipNamedPlain = WriteFile("compressed-without-suffix", Gzip(raw));
        string rawNamedGz = WriteFile("plain-with-suffix.gz", raw);

        Assert.True(IdxReader.IsGzip(gzipNamedPlain));
        Assert.False(IdxReader.IsGzip(rawNamedGz));
        Assert.Equal(ImagePixels(2, 3, 3), IdxReader.ReadImages(gzipNamedPlain).Data.ToArray());
        Assert.Equal(ImagePixels(2, 3, 3), IdxReader.ReadImages(rawNamedGz).Data.ToArray());
    }

    [Fact]
    public void Missing_file_is_a_plain_FileNotFoundException()
    {
        Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(_dir.File("nope")));
    }

    public static TheoryData<string, bool, string[]> MalformedCases => new()
    {
        // case, read as images (else labels), fragments the message must contain
        { "bad-magic", true, ["bad magic number 0x12345678", "not an IDX file"] },
        { "labels-read-as-images", true, ["bad magic number 0x00000801", "1 dimension", "is this a labels file?", "expected 0x00000803"] },
        { "images-read-as-labels", false, ["bad magic number 0x00000803", "3 dimensions", "is this an images file?", "expected 0x00000801"] },
        { "float-elements", true, ["bad magic number 0x00000D03", "element type 0x0D (float32)", "only 0x08 (unsigned byte)"] },
        { "four-dimensions", true, ["bad magic number 0x00000804", "4 dimensions"] },
        { "empty-file", true, ["is empty (0 bytes)", "not a regular file"] },
        { "short-magic", false, ["truncated header", "ends after 3 bytes", "header is 8 bytes"] },
        { "short-header", true, ["truncated header", "ends after 12 bytes", "header is 16 bytes"] },
        { "short-header.gz", true, ["truncated header", "decompressed data ends after 12 bytes"] },
        { "truncated-payload", true, ["truncated: header says 3 images of 28x28 (2352 bytes) but only 1000 bytes follow"] },
        { "truncated-payload.gz", true, ["truncated: header says 3 images of 28x28 (2352 bytes) but only 1000 bytes follow"] },
        { "truncated-labels", false, ["truncated: header says 60000 labels (60000 bytes) but only 12 bytes follow"] },
        { "trailing-bytes", true, ["trailing data: header says 2 images of 28x28 (1568 bytes) but 5 more bytes follow the payload"] },
        { "trailing-byte.gz", false, ["trailing data: header says 3 labels (3 bytes) but 1 more byte follows the payload"] },
        { "corrupt-deflate.gz", true, ["corrupt gzip data"] },
        { "bad-gzip-crc.gz", true, ["corrupt gzip data"] },
        { "bad-gzip-method.gz", true, ["corrupt gzip data"] },
        { "gzip-cut-short.gz", true, ["truncated: header says 40 images of 28x28 (31360 bytes) but only"] },
        { "gzip-trailer-cut.gz", true, ["gzip trailer mismatch", "truncated"] },
        { "gzip-junk-appended.gz", true, ["gzip trailer mismatch", "appended"] },
        { "tiny-gzip.gz", true, ["truncated gzip file: only 4 bytes"] },
        { "zero-rows", true, ["dimension 1 (rows) is 0", "must be positive"] },
        { "zero-count", false, ["dimension 0 (count) is 0", "must be positive"] },
        { "huge-count", true, ["dimension 0 (count) is 4294967295 (0xFFFFFFFF, negative as a signed 32-bit integer)"] },
        { "huge-columns", true, ["dimension 2 (columns) is 2147483648 (0x80000000"] },
        { "too-large", true, ["2147483647x28x28 is 1683627179248 bytes", "not a sane size"] },
        { "too-large.gz", true, ["2147483647x28x28 is 1683627179248 bytes", "not a sane size"] },
        { "labels-too-large-for-gz-size", false, ["truncated: header says 2000000000 labels (2000000000 bytes) but only 3 bytes follow"] },
    };

    private static byte[] Build(string @case) => @case switch
    {
        "bad-magic" => [.. Header(0x12345678, 1, 28, 28), .. new byte[784]],
        "labels-read-as-images" => Labels(1, 2, 3),
        "images-read-as-labels" => Images(2),
        "float-elements" => [.. Header(0x00000D03, 1, 2, 2), .. new byte[16]],
        "four-dimensions" => [.. Header(0x00000804, 1, 1, 1, 1), 0],
        "empty-file" => [],
        "short-magic" => [0, 0, 8],
        "short-header" => Header(ImagesMagic, 3, 28),
        "short-header.gz" => Gzip(Header(ImagesMagic, 3, 28)),
        "truncated-payload" => Images(3)[..(16 + 1000)],
        "truncated-payload.gz" => Gzip(Images(3)[..(16 + 1000)]),
        "truncated-labels" => [.. Header(LabelsMagic, 60000), .. new byte[12]],
        "trailing-bytes" => [.. Images(2), 1, 2, 3, 4, 5],
        "trailing-byte.gz" => Gzip([.. Labels(1, 2, 3), 9]),
        "corrupt-deflate.gz" => Flip(Gzip(Images(40)), at: Gzip(Images(40)).Length / 2),
        "bad-gzip-crc.gz" => Flip(Gzip(Images(2)), at: Gzip(Images(2)).Length - 6),
        "bad-gzip-method.gz" => Flip(Gzip(Images(2)), at: 2),
        "gzip-cut-short.gz" => Gzip(Images(40))[..(Gzip(Images(40)).Length / 2)],
        "gzip-trailer-cut.gz" => Gzip(Images(2))[..^4],
        "gzip-junk-appended.gz" => [.. Gzip(Images(2)), 1, 2, 3],
        "tiny-gzip.gz" => [0x1f, 0x8b, 8, 0],
        "zero-rows" => [.. Header(ImagesMagic, 5, 0, 28)],
        "zero-count" => Header(LabelsMagic, 0),
        "huge-count" => [.. Header(ImagesMagic, 0xFFFFFFFF, 28, 28), .. new byte[784]],
        "huge-columns" => Header(ImagesMagic, 10, 28, 0x80000000),
        "too-large" => [.. Header(ImagesMagic, 0x7FFFFFFF, 28, 28), .. new byte[784]],
        "too-large.gz" => Gzip([.. Header(ImagesMagic, 0x7FFFFFFF, 28, 28), .. new byte[784]]),
        "labels-too-large-for-gz-size" => Gzip([.. Header(LabelsMagic, 2_000_000_000), 1, 2, 3]),
        _ => throw new ArgumentException(@case),
    };

    private static byte[] Flip(byte[] bytes, int at)
    {
        bytes[at] ^= 0xFF;
        return bytes;
    }

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void Malformed_file_is_rejected_naming_the_file_and_the_problem(string @case, bool images, string[] fragments)
    {
        string path = WriteFile(@case.EndsWith(".gz") ? @case : @case + (images ? "-idx3-ubyte" : "-idx1-ubyte"), Build(@case));

        var e = Assert.Throws<MnistFormatException>(() => images ? IdxReader.ReadImages(path) : IdxReader.ReadLabels(path));

        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Equal(e.Message, path + ": " + e.Problem);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message);
        }
    }

    [Fact]
    public void Corrupt_gzip_keeps_the_decoder_error_as_inner_exception()
    {
        string path = WriteFile("corrupt.gz", Build("corrupt-deflate.gz"));
        var e = Assert.Throws<MnistFormatException>(() => IdxReader.ReadImages(path));
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    /// <summary>Every prefix and many random corruptions either read or fail with MnistFormatException, nothing else.</summary>
    [Fact]
    public void Truncations_and_corruptions_never_leak_other_exceptions()
    {
        var random = new Random(1234);
        byte[][] originals = [Images(3, 4, 5), Gzip(Images(3, 4, 5)), Labels(1, 2, 3), Gzip(Labels(1, 2, 3))];
        int rejected = 0;
        for (int o = 0; o < originals.Length; o++)
        {
            byte[] original = originals[o];
            bool images = o < 2;
            var variants = new List<byte[]>();
            for (int length = 0; length < original.Length; length++)
            {
                variants.Add(original[..length]);
            }

            for (int i = 0; i < 150; i++)
            {
                byte[] corrupt = (byte[])original.Clone();
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
                variants.Add(corrupt);
            }

            string path = _dir.File($"fuzz-{o}");
            foreach (byte[] variant in variants)
            {
                File.WriteAllBytes(path, variant);
                try
                {
                    _ = images ? IdxReader.ReadImages(path) : IdxReader.ReadLabels(path);
                }
                catch (MnistFormatException e)
                {
                    Assert.StartsWith(path + ": ", e.Message);
                    rejected++;
                }
            }
        }

        Assert.True(rejected > 100, $"only {rejected} variants were rejected");
    }
}
