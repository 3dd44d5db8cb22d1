using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>
/// A step of an owner and a network that shares its last layer, under one optimizer (CoGAN's discriminators): the
/// trainer checkpoints the shared parameters once, a resumed run equals one that never stopped, and the step learns.
/// </summary>
public sealed class SharedLayerTrainingTests : IDisposable
{
    private const int Batch = 8;
    private readonly CpuBackend _backend = new(2);
    private readonly TestData.TempDirectory _dir = new();
    private readonly ImageDataset _data = RandomImages(6 * Batch + 3);

    public void Dispose()
    {
        _dir.Dispose();
        _backend.Dispose();
    }

    [Fact]
    public void TheSharedParametersAreCheckpointedOnceAndAResumedRunEqualsAStraightOne()
    {
        using var straightStep = new CoupledStep(_backend, Batch);
        using var straight = new Trainer(straightStep, new TrainerOptions { Seed = 7 });
        straight.Fit(_data, 3);

        using (var firstStep = new CoupledStep(_backend, Batch))
        using (var first = new Trainer(firstStep, new TrainerOptions { Seed = 7, CheckpointDirectory = _dir.File("resume") }))
        {
            Interrupted.Fit(first, _data, 3, stopAt: 9);
        }

        var file = SafetensorsFile.Read(CheckpointFiles.Resolve("latest", _dir.File("resume")));
        Assert.True(file.TryGet("owner.W3", out _)); // the owner's Dense(1), which the sharer uses
        Assert.Equal(["sharer.W0", "sharer.W1", "sharer.b0", "sharer.b1"], file.Tensors.Select(t => t.Name).Where(n => n.StartsWith("sharer.", StringComparison.Ordinal) && n.Count(c => c == '.') == 1).Order());

        using var resumedStep = new CoupledStep(_backend, Batch);
        using var resumed = new Trainer(resumedStep, new TrainerOptions { Seed = 99, CheckpointDirectory = _dir.File("resume") });
        resumed.LoadCheckpoint(CheckpointFiles.Resolve("latest", _dir.File("resume")));
        resumed.Fit(_data, 3);
        Assert.Equal(straight.StepCount, resumed.StepCount);
        Assert.Equal(straightStep.Owner.GetParameters(), resumedStep.Owner.GetParameters());
        Assert.Equal(straightStep.Sharer.GetParameters(), resumedStep.Sharer.GetParameters());

        // It learned: the owner's logits on real images went up, the sharer's on the same images (its own first layers
        // feeding the shared Dense(1)) went down.
        var (owner, sharer) = straightStep.Logits(_data);
        Assert.True(owner > 1f && sharer < -1f, $"mean logits after training: owner {owner}, sharer {sharer}");
    }

    private static ImageDataset RandomImages(int count)
    {
        var pixels = new byte[count * 36];
        new Random(3).NextBytes(pixels);
        return ImageDataset.Create(pixels, count, 1, 6, 6);
    }

    /// <summary>The owner pulls its logit towards "real", the sharer towards "fake", on the same images; one optimizer.</summary>
    private sealed class CoupledStep : TrainingStep
    {
        private readonly Optimizer _optimizer;

        public CoupledStep(Backend backend, int batch)
            : base(backend, batch)
        {
            var owner = new SharedLastOwnerNet(backend, 1);
            Owner = AddNetwork("owner", owner, batch);
            Sharer = AddNetwork("sharer", new SharedNarrowNet(backend, owner, 2), batch);
            _optimizer = AddOptimizer("optimizer", new AdamSettings(1e-2), Owner, Sharer);
        }

        public Network Owner { get; }

        public Network Sharer { get; }

        public override void Run(StepContext s)
        {
            int n = BatchSize;
            s.Images(Owner.Input(n));
            s.Images(Sharer.Input(n));
            Owner.Forward(n);
            Sharer.Forward(n);
            s.Loss(LossTerm.BinaryCrossEntropy, Owner.Output(n), Owner.OutputGradient(n), target: 1f);
            s.Loss(LossTerm.BinaryCrossEntropy, Sharer.Output(n), Sharer.OutputGradient(n), target: 0f);
            Sharer.Backward(n);
            Owner.Backward(n);
            s.Update(_optimizer);
        }

        public (float Owner, float Sharer) Logits(ImageDataset data)
        {
            var images = data.Images.Span;
            var x = new float[Batch * 36];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = images[i] / 127.5f - 1f;
            }

            float Mean(Network network)
            {
                Backend.Upload(x, network.Input(Batch));
                network.Forward(Batch);
                var y = new float[Batch];
                Backend.Download(network.Output(Batch), y);
                return y.Average();
            }

            return (Mean(Owner), Mean(Sharer));
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                Sharer.Dispose();
                Owner.Dispose();
            }
        }
    }
}
