using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Data;

namespace GanDsl.Tests.Data;

/// <summary>Images of any shape, paired and unpaired data, and the domains derived from MNIST, on small images worked by hand.</summary>
public sealed class DerivedDomainTests
{
    // One 4x4 grey image: a vertical bar in column 1, rows 0-2.
    private static readonly byte[] Bar =
    [
        0, 200, 0, 0,
        0, 200, 0, 0,
        0, 200, 0, 0,
        0, 0, 0, 0,
    ];

    [Fact]
    public void EdgesAreTheDilationMinusTheImage()
    {
        var edges = DerivedDomains.Edges(ImageDataset.Create(Bar, 1, 1, 4, 4, [3], classes: 10));
        Assert.Equal(
        [
            200, 0, 200, 0,
            200, 0, 200, 0,
            200, 0, 200, 0,
            200, 200, 200, 0,
        ], edges.Images.ToArray());
        Assert.Equal(3, edges.GetLabel(0));
    }

    [Fact]
    public void RotatedTurnsCounterClockwise()
    {
        // A 2x3 image becomes 3x2: the last column becomes the first row.
        var image = ImageDataset.Create([1, 2, 3, 4, 5, 6], 1, 1, 2, 3);
        var rotated = DerivedDomains.Rotated90(image);
        Assert.Equal((3, 2), (rotated.Height, rotated.Width));
        Assert.Equal([3, 6, 2, 5, 1, 4], rotated.Images.ToArray());
        var four = DerivedDomains.Rotated90(DerivedDomains.Rotated90(DerivedDomains.Rotated90(rotated)));
        Assert.Equal(image.Images.ToArray(), four.Images.ToArray());
    }

    [Fact]
    public void InvertedOfClassMaskedAndDownsampled()
    {
        var two = ImageDataset.Create([.. Bar, .. Bar.Select(b => (byte)(b / 2))], 2, 1, 4, 4, [6, 9], classes: 10);
        Assert.Equal(Bar.Select(b => (byte)(255 - b)), DerivedDomains.Inverted(two).Images.ToArray()[..16]);

        var nines = DerivedDomains.OfClass(two, 9);
        Assert.Equal(1, nines.Count);
        Assert.Equal(100, nines.Images.Span[1]);
        Assert.Contains("No image is labelled 3", Assert.Throws<ArgumentException>(() => DerivedDomains.OfClass(two, 3)).Message);

        // A 2x2 square of zeros somewhere in each image, the rest untouched; the same seed places it the same way.
        var white = ImageDataset.Create(Enumerable.Repeat((byte)255, 32).ToArray(), 2, 1, 4, 4);
        var masked = DerivedDomains.Masked(white, 2, seed: 5);
        for (int i = 0; i < 2; i++)
        {
            var image = masked.Images.Span.Slice(i * 16, 16).ToArray();
            Assert.Equal(4, image.Count(b => b == 0));
            int first = Array.IndexOf(image, (byte)0);
            Assert.Equal(0, image[first + 1]);
            Assert.Equal(0, image[first + 4]);
            Assert.Equal(0, image[first + 5]);
        }

        Assert.Equal(masked.Images.ToArray(), DerivedDomains.Masked(white, 2, seed: 5).Images.ToArray());

        // Filled with mid-grey instead, at the same places.
        var grey = DerivedDomains.Masked(white, 2, seed: 5, fill: 128);
        Assert.Equal(masked.Images.ToArray().Select(b => b == 0 ? (byte)128 : b), grey.Images.ToArray());

        // 2x2 blocks averaged and rounded: (0 + 200 + 0 + 200) / 4 = 100; (0 + 0 + 0 + 0) / 4 = 0; (0 + 200 + 0 + 0) / 4 = 50.
        var small = DerivedDomains.Downsampled(ImageDataset.Create(Bar, 1, 1, 4, 4));
        Assert.Equal((2, 2), (small.Height, small.Width));
        Assert.Equal([100, 0, 50, 0], small.Images.ToArray());
    }

    [Fact]
    public void TheRealMnistDerivedDomainsKeepTheirShapesAndLabels()
    {
        var mnist = Mnist.Load(TestData.MnistDirectory).Test;
        var part = mnist.Select([.. Enumerable.Range(0, 200)]);
        foreach (var domain in new[] { DerivedDomains.Edges(part), DerivedDomains.Inverted(part), DerivedDomains.Rotated90(part), DerivedDomains.Masked(part, 10) })
        {
            Assert.Equal((200, 28, 28), (domain.Count, domain.Height, domain.Width));
            Assert.Equal(part.Labels.ToArray(), domain.Labels.ToArray());
        }

        Assert.Equal((14, 14), (DerivedDomains.Downsampled(part).Height, DerivedDomains.Downsampled(part).Width));
        var sixes = DerivedDomains.OfClass(part, 6);
        Assert.All(sixes.Labels.ToArray(), l => Assert.Equal(6, l));

        // Edges are thin: far fewer bright pixels than the digits themselves have.
        int Bright(ImageDataset d) => d.Images.ToArray().Count(b => b > 127);
        Assert.InRange(Bright(DerivedDomains.Edges(part)), Bright(part) / 5, Bright(part) * 2);
    }

    [Fact]
    public void PairsShareAnOrderAndUnpairedDomainsEachHaveTheirOwn()
    {
        using var backend = new CpuBackend(1);
        var a = ImageDataset.Create(Enumerable.Range(0, 12).Select(i => (byte)i).ToArray(), 12, 1, 1, 1);
        var b = ImageDataset.Create(Enumerable.Range(100, 8).Select(i => (byte)i).ToArray(), 8, 1, 1, 1);
        var buffer = backend.Allocate(8);

        float[] Gather(DeviceDataset data, int domain)
        {
            backend.GatherImages(data.Domain(domain), new CounterValue(null, 0, 0), buffer.View(0, 8, 1), PixelScale.ZeroToOne);
            return buffer.All.Span.ToArray().Select(v => MathF.Round(v * 255f)).ToArray();
        }

        // Paired: row r of the inputs goes with row r of the targets.
        var targets = ImageDataset.Create(Enumerable.Range(50, 12).Select(i => (byte)i).ToArray(), 12, 1, 1, 1);
        using (var pairs = new DeviceDatasetHarness(backend, new PairedImages(a, targets)))
        {
            pairs.Data.Shuffle(seed: 1, epoch: 1);
            Assert.Equal(Gather(pairs.Data, 0).Select(v => v + 50), Gather(pairs.Data, 1));
        }

        // Unpaired: an epoch as long as the smaller domain; each domain in an order of its own, a permutation of its images.
        var unpaired = new UnpairedImages(a, b);
        Assert.Equal(8, unpaired.Count);
        using var domains = new DeviceDatasetHarness(backend, unpaired);
        domains.Data.Shuffle(seed: 1, epoch: 1);
        var first = Gather(domains.Data, 0);
        var second = Gather(domains.Data, 1).Select(v => v - 100).ToArray();
        Assert.Equal(8, first.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (float)i), second.Order());
        Assert.NotEqual(first, second);
        Assert.Throws<ArgumentException>(() => new PairedImages(a, b));
    }

    [Fact]
    public void ImagesOfAnyShapeCheckTheirSizesAndLabels()
    {
        var rgb = ImageDataset.Create(new byte[2 * 3 * 4 * 5], 2, 3, 4, 5, [1, 2], classes: 3);
        Assert.Equal((60, 3), (rgb.PixelsPerImage, rgb.Classes));
        Assert.Throws<ArgumentException>(() => ImageDataset.Create(new byte[10], 2, 3, 4, 5));
        Assert.Contains("labels must be 0-2", Assert.Throws<ArgumentException>(() => ImageDataset.Create(new byte[120], 2, 3, 4, 5, [1, 3], classes: 3)).Message);
    }

    [Fact]
    public void TranslationStepsRequireTwoDomainsOfTheirImages()
    {
        var a = ImageDataset.Create(new byte[2 * 16], 2, 1, 4, 4);
        var b = ImageDataset.Create(new byte[2 * 16], 2, 1, 4, 4);
        new UnpairedImages(a, b).RequireTwoDomains("CycleGAN", 16);
        new PairedImages(a, b).RequireTwoDomains("Pix2Pix", 16, paired: true);
        Assert.Equal("CycleGAN trains on two domains of 16-value images; the data has 1 domain(s) of 16 values. (Parameter 'data')",
            Assert.Throws<ArgumentException>(() => a.RequireTwoDomains("CycleGAN", 16)).Message);
        Assert.Contains("2 domain(s), unpaired of 16 and 16 values",
            Assert.Throws<ArgumentException>(() => new UnpairedImages(a, b).RequireTwoDomains("Pix2Pix", 16, paired: true)).Message);
        Assert.StartsWith("DiscoGAN trains on two domains of 784-value images",
            Assert.Throws<ArgumentException>(() => new UnpairedImages(a, b).RequireTwoDomains("DiscoGAN", 784)).Message);
    }

    /// <summary>A device copy of training data, as a trainer makes it.</summary>
    private sealed class DeviceDatasetHarness(Backend backend, TrainingData data) : IDisposable
    {
        public DeviceDataset Data { get; } = new(backend, data);

        public void Dispose() => Data.Dispose();
    }
}
