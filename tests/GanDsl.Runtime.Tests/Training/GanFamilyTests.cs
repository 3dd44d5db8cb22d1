using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>
/// Each GAN of the family, with its sample's own networks and recipe, trained a few hundred steps on
/// real MNIST on the CPU: the losses stay finite and the samples are not all alike.
/// </summary>
public sealed class GanFamilyTests(MnistTrainFixture data, ITestOutputHelper output) : IClassFixture<MnistTrainFixture>
{
    [Theory]
    [InlineData(GanLoss.Minimax)]
    [InlineData(GanLoss.LeastSquares)]
    [InlineData(GanLoss.Hinge)]
    public void SeedGanTrainsWithEachLoss(GanLoss loss)
    {
        using var backend = new CpuBackend(2);
        var samples = Train(backend, new SeedGenerator(backend, 1), new SeedDiscriminator(backend, 2),
            new GanOptions { BatchSize = 64, Loss = loss, LabelSmoothing = 0.1f }, steps: 300);
        AssertVaried(samples, 784);
    }

    [Fact]
    public void WganWithWeightClippingTrains()
    {
        using var backend = new CpuBackend(2);
        var critic = new Wgan.WganCritic(backend, 2);
        var samples = Train(backend, new Wgan.WganGenerator(backend, 1), critic, new GanOptions
        {
            BatchSize = 32,
            Loss = GanLoss.Wasserstein,
            CriticSteps = 5,
            GeneratorOptimizer = new RmsPropSettings(5e-5),
            DiscriminatorOptimizer = new RmsPropSettings(5e-5),
        }, steps: 300);
        AssertVaried(samples, 784);
        Assert.All(critic.GetParameters(), p => Assert.InRange(p, -0.01f, 0.01f));
    }

    [Fact]
    public void WganGpTrains()
    {
        using var backend = new CpuBackend(2);
        var samples = Train(backend, new WganGp.WganGpGenerator(backend, 1), new WganGp.WganGpCritic(backend, 2), new GanOptions
        {
            BatchSize = 32,
            Loss = GanLoss.WassersteinGradientPenalty,
            CriticSteps = 5,
            GeneratorOptimizer = new AdamSettings(1e-4, 0, 0.9),
            DiscriminatorOptimizer = new AdamSettings(1e-4, 0, 0.9),
        }, steps: 250);
        AssertVaried(samples, 784);
    }

    [Fact]
    public void WganGpNeedsACriticWithTheSecondOrderPass()
    {
        using var backend = new CpuBackend(1);
        var e = Assert.Throws<ArgumentException>(() => new GanTrainer(new Wgan.WganGenerator(backend, 1), new Wgan.WganCritic(backend, 2),
            new GanOptions { Loss = GanLoss.WassersteinGradientPenalty }));
        Assert.Contains("[GradientPenalty]", e.Message);
    }

    [Fact]
    public void DcganTrains()
    {
        using var backend = new CpuBackend(2);
        var samples = Train(backend, new Dcgan.DcganGenerator(backend, 1), new Dcgan.DcganDiscriminator(backend, 2), new GanOptions
        {
            BatchSize = 16,
            SampleCount = 16,
            GeneratorOptimizer = new AdamSettings(1e-4, 0.9, 0.999, 1e-7),
            DiscriminatorOptimizer = new AdamSettings(1e-4, 0.9, 0.999, 1e-7),
        }, steps: 80);
        AssertVaried(samples, 784);
    }

    [Fact]
    public void ConditionalGanRowsDifferByDigit()
    {
        using var backend = new CpuBackend(2);
        var generator = new ConditionalGan.ConditionalGenerator(backend, 1);
        using var gan = new GanTrainer(generator, new ConditionalGan.ConditionalDiscriminator(backend, 2),
            new GanOptions { BatchSize = 64, SampleCount = 100, SampleColumns = 10 });
        Run(gan, steps: 400);

        // The fixed sample grid: row r asks for digit r. Rows must differ from each other more than
        // images within a row do, on average: the label changes what is drawn.
        var samples = gan.GenerateSamples();
        AssertVaried(samples, 784);
        var rowMeans = new double[10][];
        double within = 0;
        for (int r = 0; r < 10; r++)
        {
            rowMeans[r] = new double[784];
            for (int c = 0; c < 10; c++)
            {
                for (int p = 0; p < 784; p++)
                {
                    rowMeans[r][p] += samples[(r * 10 + c) * 784 + p] / 10.0;
                }
            }

            for (int c = 0; c < 10; c++)
            {
                within += Distance(samples.AsSpan((r * 10 + c) * 784, 784), rowMeans[r]) / 100;
            }
        }

        double between = 0;
        int pairs = 0;
        for (int a = 0; a < 10; a++)
        {
            for (int b = a + 1; b < 10; b++)
            {
                between += Distance(rowMeans[a].Select(v => (float)v).ToArray(), rowMeans[b]);
                pairs++;
            }
        }

        between /= pairs;
        output.WriteLine($"mean distance between digit rows' means {between:F2}, of images to their row's mean {within:F2}");
        Assert.True(between > 0.5 * within, $"rows barely differ: between {between:F2}, within {within:F2}");
        Assert.True(between > 3.0, $"rows barely differ: between {between:F2}");
    }

    private float[] Train(Backend backend, Network generator, Network discriminator, GanOptions options, int steps)
    {
        using (generator)
        using (discriminator)
        using (var gan = new GanTrainer(generator, discriminator, options))
        {
            Run(gan, steps);
            return gan.GenerateSamples();
        }
    }

    private void Run(GanTrainer gan, int steps)
    {
        var images = gan.Upload(data.Train);
        images.SetOrder(Enumerable.Range(0, data.Train.Count).ToArray());
        for (int s = 0; s < steps; s++)
        {
            gan.Step(images, s * gan.Options.BatchSize);
            if ((s + 1) % 50 == 0)
            {
                Assert.False(gan.DiscriminatorOptimizer.TakeNonFiniteFlag(), $"non-finite discriminator gradient by step {s + 1}");
                Assert.False(gan.GeneratorOptimizer.TakeNonFiniteFlag(), $"non-finite generator gradient by step {s + 1}");
                var stats = gan.ReadStats();
                output.WriteLine($"{gan.Options.Loss} step {s + 1}: D loss {stats.DiscriminatorLoss:F3}, G loss {stats.GeneratorLoss:F3}, D(x) {stats.RealScore:F3}, D(G(z)) {stats.FakeScore:F3}");
                Assert.True(stats.IsFinite, $"non-finite losses at step {s + 1}: {stats}");
            }
        }
    }

    // Not collapsed: across the sample batch, pixels vary (mean per-pixel standard deviation).
    private void AssertVaried(float[] samples, int features)
    {
        int n = samples.Length / features;
        double total = 0;
        for (int p = 0; p < features; p++)
        {
            double mean = 0, square = 0;
            for (int i = 0; i < n; i++)
            {
                mean += samples[i * features + p];
            }

            mean /= n;
            for (int i = 0; i < n; i++)
            {
                square += (samples[i * features + p] - mean) * (samples[i * features + p] - mean);
            }

            total += Math.Sqrt(square / n);
        }

        double std = total / features;
        output.WriteLine($"mean per-pixel standard deviation across {n} samples: {std:F3}");
        Assert.True(std > 0.05, $"generated images are nearly all alike (mean per-pixel std {std:F3})");
        Assert.All(samples, v => Assert.True(float.IsFinite(v)));
    }

    private static double Distance(ReadOnlySpan<float> a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(sum);
    }
}
