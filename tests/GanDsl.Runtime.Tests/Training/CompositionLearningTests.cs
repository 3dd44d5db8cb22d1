using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Tests.Evaluation;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>
/// The steps of the samples whose discriminators have heads, trained briefly on real MNIST on the CPU (with small Dense
/// networks: the samples' convolutional ones take minutes to learn here) and judged by the reference classifier: ACGAN
/// draws the digit asked for far above chance and its class head reads real digits; InfoGAN's categories, learned
/// without labels, become purer than chance.
/// </summary>
/// <remarks>The samples' own networks: their default runs give README's numbers.</remarks>
public sealed class CompositionLearningTests(EvaluatorFixture evaluation, ITestOutputHelper output) : IClassFixture<EvaluatorFixture>
{
    [Fact]
    public void AcganDrawsTheDigitAskedForAndItsClassHeadReadsRealDigits()
    {
        const int batch = 64, steps = 1500, count = 1000;
        using var backend = new CpuBackend(2);
        using var g = new SmallAcganGenerator(backend, 1);
        using var d = new SmallAcganDiscriminator(backend, 2);
        using var step = new global::Acgan.AcganStep(g, d, new AdamSettings(2e-4), batch);
        var stats = Train(step, steps, batch);

        var labels = new int[count];
        var images = step.Generate(count, labels);
        var report = evaluation.Evaluator.Evaluate(images, count, labels);
        double classHead = step.ClassAccuracy(evaluation.Data.Test, 2000);
        output.WriteLine($"digit asked for = produced: {report.Conditional!.Accuracy:P1}; D's class head on 2,000 real test digits: {classHead:P1}");
        Assert.True(report.Conditional.Accuracy >= 0.4, $"only {report.Conditional.Accuracy:P1} of the generated digits are the digit asked for (chance: 10%)");
        Assert.True(classHead >= 0.8, $"D's class head reads only {classHead:P1} of real test digits right");
    }

    [Fact]
    public void InfoGansCategoriesBecomePurerThanChance()
    {
        const int batch = 64, steps = 1500, count = 2000;
        using var backend = new CpuBackend(2);
        using var g = new SmallInfoGanGenerator(backend, 1);
        using var d = new SmallInfoGanDiscriminator(backend, 2);
        using var step = new global::InfoGan.InfoGanStep(g, d, new AdamSettings(1e-3), new AdamSettings(2e-4), batch);
        var stats = Train(step, steps, batch);
        Assert.True(stats["Q category acc"] > 0.5, $"Q recovers {stats["Q category acc"]:P1} of the categories G was asked for");

        // Categories drawn at random would be about as pure as the largest digit share (~11%) allows: 0.1 to 0.2.
        var (purity, digits, _, report) = step.Evaluate(evaluation.Evaluator, count);
        output.WriteLine($"category purity {purity:P1}; categories draw {string.Join(" ", digits)}; {report.Coverage.CoveredClasses} digits covered");
        Assert.True(purity >= 0.35, $"category purity {purity:P1}");
    }

    // Trains step for steps batches of batch shuffled MNIST training images; the statistics of the run, checked finite.
    private StatisticValues Train(TrainingStep step, int steps, int batch)
    {
        using var trainer = new Trainer(step, new TrainerOptions { Seed = 3 });
        var data = trainer.Upload(evaluation.Data.Train);
        data.Shuffle(3, 1);
        for (int s = 0; s < steps; s++)
        {
            trainer.Step(data, s % (data.Count / batch) * batch);
        }

        var stats = trainer.ReadStats();
        output.WriteLine($"after {steps} steps of {batch}: {stats}");
        Assert.True(stats.IsFinite, stats.ToString());
        return stats;
    }
}
