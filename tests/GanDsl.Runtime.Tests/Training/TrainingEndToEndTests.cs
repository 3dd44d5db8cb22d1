using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>Loads the real MNIST training set once for the classes that train on it.</summary>
public sealed class MnistTrainFixture
{
    public MnistDataset Train { get; } = Mnist.Load(TestData.MnistDirectory).Train;
}

/// <summary>The seed GAN trained on real MNIST on the CPU for a few hundred steps: does it learn?</summary>
public sealed class TrainingEndToEndTests(MnistTrainFixture data, ITestOutputHelper output) : IClassFixture<MnistTrainFixture>
{
    [Fact]
    public void SeedGanLearnsOnMnist()
    {
        const int steps = 300, window = 10, batch = 64;
        using var backend = new CpuBackend(2);
        using var generator = new SeedGenerator(backend, seed: 1);
        using var discriminator = new SeedDiscriminator(backend, seed: 2);
        using var gan = new GanTrainer(generator, discriminator, new GanOptions { BatchSize = batch, Seed = 3 });
        var images = gan.Upload(data.Train);
        var order = Enumerable.Range(0, data.Train.Count).ToArray();
        new System.Random(4).Shuffle(order);
        images.SetOrder(order);

        // The gap D(x) - D(G(z)) over the first few steps, then averaged over windows of ten steps.
        const int firstSteps = 3;
        var gaps = new List<double>();
        double initialGap = 0;
        for (int step = 0; step < steps; step++)
        {
            gan.Step(images, step * batch);
            if (step + 1 == firstSteps)
            {
                var first = gan.ReadStats();
                initialGap = first.RealScore - first.FakeScore;
                output.WriteLine($"steps 1-{firstSteps}: D(x) {first.RealScore:F3}  D(G(z)) {first.FakeScore:F3}");
            }
            else if (step + 1 > firstSteps && (step + 1) % window == 0)
            {
                var stats = gan.ReadStats();
                output.WriteLine($"step {step + 1,4}: D loss {stats.DiscriminatorLoss:F3}  G loss {stats.GeneratorLoss:F3}  D(x) {stats.RealScore:F3}  D(G(z)) {stats.FakeScore:F3}");
                Assert.True(stats.IsFinite, $"non-finite statistics at step {step + 1}: {stats}");
                gaps.Add(stats.RealScore - stats.FakeScore);
            }
        }

        // At first both scores sit near 0.5. The discriminator pulls them apart within tens of
        // steps; then the generator catches up and the gap closes again.
        string trace = string.Join(", ", gaps.Select(g => g.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
        int widest = gaps.IndexOf(gaps.Max());
        double closest = gaps.Skip(widest).Min();
        output.WriteLine($"gap D(x) - D(G(z)): initial {initialGap:F3}, widest {gaps[widest]:F3} at step {(widest + 1) * window}, narrowest after that {closest:F3}");
        Assert.True(gaps[widest] > initialGap + 0.1, $"D(x) and D(G(z)) never moved apart: initial gap {initialGap:F3}, then {trace}");
        Assert.True(closest < gaps[widest] - 0.1, $"D(x) and D(G(z)) never came back toward each other: {trace}");

        // Not collapsed: across the sample batch, pixels vary (mean per-pixel standard deviation).
        // A collapsed generator, one image for every noise vector, scores near 0.
        var samples = gan.GenerateSamples();
        int n = gan.Options.SampleCount, d = generator.OutputFeatures;
        var sampleMean = new double[d];
        double meanStd = 0;
        for (int p = 0; p < d; p++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++)
            {
                mean += samples[i * d + p];
            }

            mean /= n;
            for (int i = 0; i < n; i++)
            {
                sq += (samples[i * d + p] - mean) * (samples[i * d + p] - mean);
            }

            sampleMean[p] = mean;
            meanStd += Math.Sqrt(sq / n);
        }

        meanStd /= d;
        output.WriteLine($"mean per-pixel standard deviation across {n} samples: {meanStd:F3}");
        Assert.True(meanStd > 0.05, $"generated images are nearly all alike (mean per-pixel std {meanStd:F3})");

        // And it learned what MNIST looks like on average: dark borders, bright strokes in the middle.
        var realMean = new double[d];
        var pixel = new float[d];
        for (int i = 0; i < 2000; i++)
        {
            data.Train.CopyImage(i, pixel);
            for (int p = 0; p < d; p++)
            {
                realMean[p] += pixel[p] / 2000.0;
            }
        }

        double correlation = Correlation(sampleMean, realMean);
        output.WriteLine($"correlation of the mean generated image with the mean MNIST image: {correlation:F3}");
        Assert.True(correlation > 0.6, $"the generator's mean image does not resemble MNIST's (correlation {correlation:F3})");
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}

/// <summary>A training step allocates nothing once warm: no GC pressure in the hot loop.</summary>
public sealed class TrainingStepAllocationTests
{
    [Fact]
    public void WarmStepAllocatesNothing()
    {
        const int batch = 32;
        using var backend = new CpuBackend(2);
        using var generator = new SeedGenerator(backend, seed: 1);
        using var discriminator = new SeedDiscriminator(backend, seed: 2);
        using var gan = new GanTrainer(generator, discriminator, new GanOptions { BatchSize = batch });
        var pixels = new byte[8 * batch * 784];
        new System.Random(1).NextBytes(pixels);
        var images = gan.Upload(MnistDataset.Create(pixels, new byte[8 * batch]));
        for (int i = 0; i < 8; i++)
        {
            gan.Step(images, i * batch);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 40; i++)
        {
            gan.Step(images, (i % 8) * batch);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

/// <summary>The user-written steps (scalar programs, device scalars, loss terms, optimizer groups) allocate nothing once warm either.</summary>
public sealed class UserStepAllocationTests
{
    public static TheoryData<string> Steps => ["three networks", "averaged DCGAN", "BEGAN", "autoencoder", "ACGAN", "InfoGAN", "AAE", "CoGAN", "Pix2Pix", "StackGAN", "CycleGAN", "DiscoGAN with CycleGanStep", "DiscoGAN"];

    [Theory]
    [MemberData(nameof(Steps))]
    public void WarmStepsAllocateNothing(string which)
    {
        const int batch = 8;
        using var backend = new CpuBackend(2);
        TrainingStep step = which switch
        {
            "three networks" => new ThreeNetworkStep(backend, batch),
            "averaged DCGAN" => new GanStep(new global::Dcgan.DcganGenerator(backend, 1), new global::Dcgan.DcganDiscriminator(backend, 2),
                new GanOptions { BatchSize = batch, GeneratorAverage = 0.999f, SampleCount = 4 }),
            "BEGAN" => new global::Began.BeganStep(new global::Began.BeganGenerator(backend, 1), new global::Began.BeganDiscriminator(backend, 2), new AdamSettings(2e-4), batch),
            "ACGAN" => new global::Acgan.AcganStep(new SmallAcganGenerator(backend, 1), new SmallAcganDiscriminator(backend, 2), new AdamSettings(2e-4), batch),
            "InfoGAN" => new global::InfoGan.InfoGanStep(new SmallInfoGanGenerator(backend, 1), new SmallInfoGanDiscriminator(backend, 2), new AdamSettings(1e-3), new AdamSettings(2e-4), batch),
            "AAE" => new global::Aae.AaeStep(new global::Aae.AaeEncoder(backend, 1), new global::Aae.AaeDecoder(backend, 2), new global::Aae.AaeDiscriminator(backend, 3), new AdamSettings(2e-4), batch),
            "CoGAN" => CoganStep(backend, batch),
            "Pix2Pix" => new global::Pix2Pix.Pix2PixStep(new global::Pix2Pix.Pix2PixGenerator(backend, 1), new global::Pix2Pix.Pix2PixDiscriminator(backend, 2), new AdamSettings(2e-4), batch),
            "StackGAN" => StackGanStep(backend, batch),
            "DiscoGAN with CycleGanStep" => new CycleGanStep(new global::CycleGan.CycleGanGenerator(backend, 1), new global::CycleGan.CycleGanGenerator(backend, 2),
                new global::CycleGan.CycleGanDiscriminator(backend, 3), new global::CycleGan.CycleGanDiscriminator(backend, 4), new AdamSettings(2e-4),
                new CycleGanOptions { BatchSize = batch, LeastSquares = false, Cycle = LossTerm.MeanSquaredError, IdentityWeight = 0, PoolSize = 0, WarmUpSteps = 3 }),
            "DiscoGAN" => new global::DiscoGan.DiscoGanStep(new global::DiscoGan.DiscoGanGenerator(backend, 1), new global::DiscoGan.DiscoGanGenerator(backend, 2),
                new global::DiscoGan.DiscoGanFeatures(backend, 3), new global::DiscoGan.DiscoGanJudge(backend, 4), new global::DiscoGan.DiscoGanFeatures(backend, 5),
                new global::DiscoGan.DiscoGanJudge(backend, 6), new AdamSettings(2e-4), batch, curriculumSteps: 4),
            "CycleGAN" => new CycleGanStep(new global::CycleGan.CycleGanGenerator(backend, 1), new global::CycleGan.CycleGanGenerator(backend, 2),
                new global::CycleGan.CycleGanDiscriminator(backend, 3), new global::CycleGan.CycleGanDiscriminator(backend, 4), new AdamSettings(2e-4), new CycleGanOptions { BatchSize = batch, PoolSize = 20, DecayFrom = 1, LastEpoch = 3 }),
            _ => new global::Autoencoder.AutoencoderStep(new global::Autoencoder.MnistAutoencoder(backend, 1), new AdamSettings(1e-3), batch),
        };
        using (step)
        using (var trainer = new Trainer(step))
        {
            int pixels = which == "three networks" ? 40 : 784;
            var bytes = new byte[8 * batch * pixels];
            new System.Random(1).NextBytes(bytes);
            var images = GanDsl.Data.ImageDataset.Create(bytes, 8 * batch, 1, pixels == 40 ? 5 : 28, pixels == 40 ? 8 : 28);
            var data = trainer.Upload(which switch
            {
                "ACGAN" => Labelled(bytes, batch),
                "CoGAN" => new GanDsl.Data.UnpairedImages(images, images),
                "Pix2Pix" => new GanDsl.Data.PairedImages(images, images),
                "CycleGAN" or "DiscoGAN with CycleGanStep" or "DiscoGAN" => new GanDsl.Data.UnpairedImages(images, images),
                "StackGAN" => new GanDsl.Data.PairedImages(GanDsl.Data.DerivedDomains.Downsampled(Labelled(bytes, batch)), Labelled(bytes, batch)),
                _ => images,
            });
            for (int i = 0; i < 8; i++)
            {
                trainer.Step(data, i * batch);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 24; i++)
            {
                trainer.Step(data, (i % 8) * batch);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        if (which != "three networks")
        {
            foreach (var (_, network) in step.Networks)
            {
                network.Dispose();
            }
        }
    }

    private static MnistDataset Labelled(byte[] bytes, int batch) => MnistDataset.Create(bytes, [.. Enumerable.Range(0, 8 * batch).Select(i => (byte)(i % 10))]);

    private static TrainingStep StackGanStep(Backend backend, int batch) => new global::StackGan.StackGanStep(
        new global::StackGan.ConditioningAugmentation(backend, 1), new global::StackGan.StageOneGenerator(backend, 2), new global::StackGan.StageOneDiscriminator(backend, 3),
        new global::StackGan.StageTwoGenerator(backend, 4), new global::StackGan.StageTwoDiscriminator(backend, 5), new AdamSettings(2e-4), batch);

    private static TrainingStep CoganStep(Backend backend, int batch)
    {
        var (gA, dA) = (new global::Cogan.CoganGeneratorA(backend, 1), new global::Cogan.CoganDiscriminatorA(backend, 3));
        return new global::Cogan.CoganStep(gA, new global::Cogan.CoganGeneratorB(backend, gA, 2), dA, new global::Cogan.CoganDiscriminatorB(backend, dA, 4), new AdamSettings(2e-4), batch);
    }
}
