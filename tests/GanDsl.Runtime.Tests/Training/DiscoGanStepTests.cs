using GanDsl.Backends.Cpu;
using GanDsl.Data;

namespace GanDsl.Tests.Training;

/// <summary>samples/DiscoGan's step: what it refuses, its schedule of phases, and the translation grid it draws.</summary>
public sealed class DiscoGanStepTests
{
    [Fact]
    public void RefusesAJudgeOfMoreThanOneLogitAndANegativeCurriculum()
    {
        using var backend = new CpuBackend(1);
        using var n = new Networks(backend);
        using var wide = new global::CycleGan.CycleGanDiscriminator(backend, 9); // 784 values to 49: not a judge of 256 features
        var error = Assert.Throws<ArgumentException>(() => new global::DiscoGan.DiscoGanStep(n.GAB, n.GBA, n.FA, wide, n.FB, n.JB, new AdamSettings(2e-4), 8, 10));
        Assert.Contains("CycleGanDiscriminator 784 to 49", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new global::DiscoGan.DiscoGanStep(n.GAB, n.GBA, n.FA, n.JA, n.FB, n.JB, new AdamSettings(2e-4), 8, -1));
    }

    [Fact]
    public void TheDiscriminatorsLearnOnEveryThirdStepAndTheCurriculumIsAPhaseOfItsOwn()
    {
        using var backend = new CpuBackend(1);
        using var n = new Networks(backend);
        using var step = n.Step(curriculum: 300);
        Assert.Equal([0, 1, 1, 0, 1, 1], Enumerable.Range(0, 6).Select(s => step.PhaseOf(s)));
        Assert.Equal([0, 1, 1, 0, 2, 2, 0], Enumerable.Range(297, 7).Select(s => step.PhaseOf(s)));
        Assert.Contains("rate 0.01 for 300 steps, then 0.5", step.Describe()["loss"]);
    }

    // Six rows of ten: A, G_AB(A), G_BA(G_AB(A)), B, G_BA(B), G_AB(G_BA(B)); each network in evaluation mode, on the
    // images as a dataset or as floats alike.
    [Fact]
    public void TheGridShowsEachDomainItsTranslationsAndTheCycle()
    {
        using var backend = new CpuBackend(1);
        using var n = new Networks(backend);
        var bytes = new byte[12 * 784];
        new Random(5).NextBytes(bytes);
        var images = ImageDataset.Create(bytes, 12, 1, 28, 28);
        var shown = global::DiscoGan.Turns.Paired(images);
        using var step = n.Step(curriculum: 0, shown);
        var grid = step.Samples()!;
        Assert.Equal((60, 28, 28, 10), (grid.Count, grid.Height, grid.Width, grid.Columns));
        var (a, b) = (new float[10 * 784], new float[10 * 784]);
        shown.A.CopyImages(Enumerable.Range(0, 10).ToArray(), a);
        shown.B.CopyImages(Enumerable.Range(0, 10).ToArray(), b);
        var toB = n.GAB.Predict(a, 10);
        var toA = n.GBA.Predict(b, 10);
        Assert.Equal(toB, n.GAB.Predict(shown.A, 10));
        float[][] rows = [a, toB, n.GBA.Predict(toB, 10), b, toA, n.GAB.Predict(toA, 10)];
        for (int row = 0; row < 6; row++)
        {
            Assert.Equal(rows[row], grid.Pixels.AsSpan(row * 10 * 784, 10 * 784).ToArray());
        }

        Assert.NotEqual(a, b); // B is A turned
        Assert.Equal(a, global::DiscoGan.Turns.TurnBack(b, 10));
    }

    private sealed class Networks(CpuBackend backend) : IDisposable
    {
        public Network GAB { get; } = new global::DiscoGan.DiscoGanGenerator(backend, 1);

        public Network GBA { get; } = new global::DiscoGan.DiscoGanGenerator(backend, 2);

        public Network FA { get; } = new global::DiscoGan.DiscoGanFeatures(backend, 3);

        public Network JA { get; } = new global::DiscoGan.DiscoGanJudge(backend, 4);

        public Network FB { get; } = new global::DiscoGan.DiscoGanFeatures(backend, 5);

        public Network JB { get; } = new global::DiscoGan.DiscoGanJudge(backend, 6);

        public global::DiscoGan.DiscoGanStep Step(long curriculum, UnpairedImages? shown = null) =>
            new(GAB, GBA, FA, JA, FB, JB, new AdamSettings(2e-4), 8, curriculum, shown);

        public void Dispose()
        {
            foreach (var network in new[] { GAB, GBA, FA, JA, FB, JB })
            {
                network.Dispose();
            }
        }
    }
}
