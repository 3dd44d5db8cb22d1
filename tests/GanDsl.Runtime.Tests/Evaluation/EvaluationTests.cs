using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.Evaluation;

namespace GanDsl.Tests.Evaluation;

/// <summary>
/// Trains the reference classifier once per test run, into a temporary cache that every test class taking the fixture
/// then loads it from (the cache is removed when the run ends), and builds an evaluator of its own for each class.
/// </summary>
public sealed class EvaluatorFixture : IDisposable
{
    private static readonly Lock s_gate = new();
    private static TestData.TempDirectory? s_cache;

    public EvaluatorFixture()
    {
        lock (s_gate)
        {
            if (s_cache is null)
            {
                s_cache = new TestData.TempDirectory();
                var cache = s_cache;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => cache.Dispose();
            }

            Data = Mnist.Load(TestData.MnistDirectory);
            Backend = new CpuBackend(2);
            var log = new StringWriter();
            Evaluator = MnistEvaluator.Create(Data, Backend, log, s_cache.Path);
            TrainingLog = log.ToString();
            CacheDirectory = s_cache.Path;
        }
    }

    public MnistData Data { get; }

    internal CpuBackend Backend { get; }

    public MnistEvaluator Evaluator { get; }

    public string TrainingLog { get; }

    public string CacheDirectory { get; }

    public void Dispose() => Backend.Dispose();
}

/// <summary>The reference classifier and the metrics on real data.</summary>
public sealed class EvaluationTests(EvaluatorFixture fixture, ITestOutputHelper output) : IClassFixture<EvaluatorFixture>
{
    [Fact]
    public void ClassifierReaches98PercentOnTheTestSet()
    {
        output.WriteLine(fixture.TrainingLog);
        Assert.True(fixture.Evaluator.Reference.ClassifierAccuracy >= 0.98, $"test accuracy {fixture.Evaluator.Reference.ClassifierAccuracy:P2}");
    }

    [Fact]
    public void CachedClassifierIsReusedNotRetrained()
    {
        var log = new StringWriter();
        using var model = ReferenceClassifier.LoadOrTrain(fixture.Data, fixture.Backend, log, fixture.CacheDirectory);
        Assert.DoesNotContain("training", log.ToString());
        Assert.Equal(fixture.Evaluator.Reference.ClassifierAccuracy, ClassifierTrainer.Accuracy(model, fixture.Data.Test), 10);
    }

    [Fact]
    public void CorruptCachedClassifierIsRetrainedNotTrusted()
    {
        using var dir = new TestData.TempDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, ReferenceClassifier.Version + ".safetensors"), [1, 2, 3]);
        var log = new StringWriter();
        var small = MnistDataset.Create(fixture.Data.Train.Images.Span[..(640 * 784)], fixture.Data.Train.Labels.Span[..640]);
        using var model = ReferenceClassifier.LoadOrTrain(new MnistData(small, fixture.Data.Test, "x"), fixture.Backend, log, dir.Path);
        Assert.Contains("cannot use", log.ToString());
        Assert.Contains("training", log.ToString());
    }

    [Fact]
    public void RealImagesScoreLikeTheReference()
    {
        // 10,000 training images, scored as if generated: near the test set's own values.
        const int n = 10_000;
        var images = new float[n * 784];
        for (int i = 0; i < n; i++)
        {
            fixture.Data.Train.CopyImage(i, images.AsSpan(i * 784, 784));
        }

        var report = fixture.Evaluator.Evaluate(images, n);
        var reference = fixture.Evaluator.Reference;
        output.WriteLine(report.ToTable("10,000 real training images"));
        Assert.InRange(reference.TestScore, 9.0, 10.0);
        Assert.InRange(report.Score, reference.TestScore - 0.3, reference.TestScore + 0.3);
        Assert.InRange(report.FrechetDistance, 0, 3 * reference.TestToTrainDistance + 0.5);
        Assert.Equal(10, report.Coverage.CoveredClasses);
    }

    [Fact]
    public void IdenticalImagesScoreAsCollapsed()
    {
        const int n = 500;
        var one = new float[784];
        fixture.Data.Test.CopyImage(0, one);
        var images = new float[n * 784];
        for (int i = 0; i < n; i++)
        {
            one.CopyTo(images, i * 784);
        }

        var report = fixture.Evaluator.Evaluate(images, n);
        output.WriteLine(report.ToTable("500 copies of one image"));
        Assert.Equal(1, report.Coverage.CoveredClasses);
        Assert.InRange(report.Score, 1.0, 1.05);
        Assert.True(report.FrechetDistance > 10 * fixture.Evaluator.Reference.TestToTrainDistance, $"FD {report.FrechetDistance}");
    }

    [Fact]
    public void ConditionalAccuracyOfRealLabelledImages()
    {
        const int n = 2000;
        var images = new float[n * 784];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            fixture.Data.Test.CopyImage(i, images.AsSpan(i * 784, 784));
            labels[i] = fixture.Data.Test.GetLabel(i);
        }

        var report = fixture.Evaluator.Evaluate(images, n, labels);
        Assert.NotNull(report.Conditional);
        Assert.True(report.Conditional.Accuracy >= 0.97);

        var shifted = labels.Select(l => (l + 1) % 10).ToArray();
        Assert.True(fixture.Evaluator.Evaluate(images, n, shifted).Conditional!.Accuracy < 0.05);
    }
}
