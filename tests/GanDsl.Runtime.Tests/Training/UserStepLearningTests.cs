using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Tests.Evaluation;

namespace GanDsl.Tests.Training;

/// <summary>
/// The user-written steps of the samples, trained briefly on real MNIST on the CPU: BEGAN converges (its measure M
/// falls, k stays in [0, 1]) and the autoencoder reconstructs test digits the reference classifier reads.
/// </summary>
public sealed class UserStepLearningTests(EvaluatorFixture evaluation, ITestOutputHelper output) : IClassFixture<EvaluatorFixture>
{
    [Fact]
    public void BeganConvergesAndKeepsKInsideZeroToOne()
    {
        const int batch = 64, window = 50, windows = 6;
        using var backend = new CpuBackend(2);
        using var g = new global::Began.BeganGenerator(backend, 1);
        using var d = new global::Began.BeganDiscriminator(backend, 2);
        using var step = new global::Began.BeganStep(g, d, new AdamSettings(2e-4), batch);
        using var trainer = new Trainer(step, new TrainerOptions { Seed = 3 });
        var data = trainer.Upload(evaluation.Data.Train);
        data.Shuffle(3, 1);
        var k = step.Scalars.Single(s => s.Name == "k");
        var measures = new List<double>();
        for (int w = 0; w < windows; w++)
        {
            for (int s = 0; s < window; s++)
            {
                trainer.Step(data, (w * window + s) * batch);
            }

            var stats = trainer.ReadStats();
            output.WriteLine($"steps {w * window + 1}-{(w + 1) * window}: {stats}");
            Assert.True(stats.IsFinite, stats.ToString());
            Assert.InRange(stats["k"], 0, 1);
            Assert.InRange(k.Read(), 0f, 1f);
            measures.Add(stats["M"]);
        }

        Assert.True(measures[^1] < 0.8 * measures[0], $"M did not fall: {string.Join(", ", measures.Select(m => m.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public void TheAutoencoderReconstructsDigitsTheClassifierReads()
    {
        const int batch = 64, steps = 4000;
        using var backend = new CpuBackend(2);
        using var net = new global::Autoencoder.MnistAutoencoder(backend, 1);
        using var step = new global::Autoencoder.AutoencoderStep(net, new AdamSettings(1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7), batch);
        using var trainer = new Trainer(step, new TrainerOptions { Seed = 2 });
        var data = trainer.Upload(evaluation.Data.Train);
        data.Shuffle(2, 1);
        for (int s = 0; s < steps; s++)
        {
            trainer.Step(data, s % (evaluation.Data.Train.Count / batch) * batch);
        }

        const int count = 2000;
        var test = evaluation.Data.Test;
        var (crossEntropy, reconstructions) = step.Evaluate(test, count);
        var labels = Enumerable.Range(0, count).Select(test.GetLabel).ToArray();
        var report = evaluation.Evaluator.Evaluate(reconstructions.Select(p => 2f * p - 1f).ToArray(), count, labels);
        output.WriteLine($"after {steps} steps: per-pixel BCE {crossEntropy:F4} on {count} test images; recognised {report.Conditional!.Accuracy:P1}");
        Assert.True(crossEntropy <= 0.10, $"per-pixel BCE {crossEntropy:F4}");
        Assert.True(report.Conditional.Accuracy >= 0.90, $"the classifier read {report.Conditional.Accuracy:P1} of the reconstructions as the digit shown");
    }
}
