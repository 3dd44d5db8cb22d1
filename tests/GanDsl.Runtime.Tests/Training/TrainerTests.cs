using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Checkpoints;
using GanDsl.Data;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Training;

/// <summary>
/// A step written against the step API with three networks, two optimizers (one over a group of two networks), a
/// device scalar kept across steps and statistics recorded in some phases only; what the trainer does with it.
/// </summary>
public sealed class ThreeNetworkStep : TrainingStep
{
    private readonly Network _a, _b, _c;
    private readonly Optimizer _ab, _c1;
    private readonly Statistic _aLoss, _cLoss, _average;
    private readonly ScalarProgram _afterStep;
    private readonly DeviceScalar _aValue;
    private readonly DeviceCounter _cSteps;

    public ThreeNetworkStep(Backend backend, int batch, bool withScalar = true, Func<Backend, Network>? makeB = null, OptimizerSettings? second = null)
        : base(backend, batch)
    {
        _a = AddNetwork("a", new LeakyTanhNet(backend, 1));
        _b = AddNetwork("b", makeB?.Invoke(backend) ?? new ReluNet(backend, 2));
        _c = AddNetwork("c", new DeepNet(backend, 3));
        _ab = AddOptimizer("ab.optimizer", new AdamSettings(1e-2), _a, _b);
        _c1 = AddOptimizer("c.optimizer", second ?? new RmsPropSettings(1e-3), _c);
        _aLoss = AddStatistic("A loss");
        _cLoss = AddStatistic("C loss");
        _average = AddStatistic("average", StatisticKind.Probability);
        _aValue = AddScalar("a_value", checkpointed: false);
        var average = withScalar ? AddScalar("average", 0.5f) : _aValue;
        _afterStep = new ScalarProgram(average.Assign(0.9f * average + 0.1f * _aValue), _average.Add(average));
        _cSteps = AddCounter("c_steps");
        foreach (var (_, network) in Networks)
        {
            network.EnsureCapacity(batch);
        }
    }

    public Network A => _a;

    public Network C => _c;

    public Optimizer GroupOptimizer => _ab;

    public DeviceCounter CSteps => _cSteps;

    public override int PhaseOf(long stepsTaken) => (int)(stepsTaken % 2);

    public override void Run(StepContext s)
    {
        int n = BatchSize;

        // A: noise to three outputs pulled towards 0.5; B: noise to five outputs pulled towards 0 (one optimizer for both).
        s.Normal(_a.Input(n));
        _a.Forward(n);
        s.Loss(LossTerm.MeanSquaredError, _a.Output(n), _a.OutputGradient(n), target: 0.5f, statistic: _aLoss, value: _aValue);
        _a.Backward(n);
        s.Normal(_b.Input(n), draw: 1);
        _b.Forward(n);
        s.Loss(LossTerm.L1, _b.Output(n), _b.OutputGradient(n), target: 0f);
        _b.Backward(n);
        s.Update(_ab);

        // C, every other step: the batch's 40-pixel images to a logit pulled towards "real".
        if (s.Phase == 1)
        {
            s.Images(_c.Input(n));
            _c.Forward(n);
            s.Loss(LossTerm.BinaryCrossEntropy, _c.Output(n), _c.OutputGradient(n), target: 1f, statistic: _cLoss);
            _c.Backward(n);
            s.Update(_c1);
            Backend.AddToCounter(_cSteps, 1);
        }

        s.Evaluate(_afterStep);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            foreach (var (_, network) in Networks)
            {
                network.Dispose();
            }
        }
    }
}

public sealed class TrainerTests : IDisposable
{
    private const int Batch = 8;
    private readonly CpuBackend _backend = new(2);
    private readonly TestData.TempDirectory _dir = new();

    // 5 x 8 images (40 pixels, C's input), 10 batches and a remainder per epoch.
    private readonly ImageDataset _data = RandomImages(10 * Batch + 3, 1, 5, 8);

    [Fact]
    public void StatisticsAreAveragedOverTheStepsThatRecordThem()
    {
        using var step = new ThreeNetworkStep(_backend, Batch);
        using var trainer = new Trainer(step);
        var device = trainer.Upload(_data);
        var cLosses = new List<double>();
        for (int i = 0; i < 4; i++)
        {
            trainer.Step(device, i * Batch);
            var values = trainer.ReadStats();
            Assert.Equal(1, values.Steps);
            Assert.True(values.Recorded(0));
            Assert.Equal(i % 2 == 1, values.Recorded(1)); // C learns in phase 1 only
            if (values.Recorded(1))
            {
                cLosses.Add(values["C loss"]);
            }
        }

        // Over a window of both phases C's loss is the mean of the one step that recorded it, not half of it.
        trainer.Step(device, 4 * Batch);
        trainer.Step(device, 5 * Batch);
        var both = trainer.ReadStats();
        Assert.Equal(2, both.Steps);
        Assert.True(both["C loss"] > 0.1, both.ToString());
        Assert.Contains("A loss ", both.ToString());
        Assert.Contains("C loss ", both.ToString());
        Assert.Equal(2, cLosses.Count);
    }

    [Fact]
    public void FitWritesTheStatisticsByNameAndTheEpochLine()
    {
        var log = new StringWriter();
        using var step = new ThreeNetworkStep(_backend, Batch);
        using var trainer = new Trainer(step, new TrainerOptions { LogDirectory = _dir.File("logs"), LogEvery = 3, Log = log });
        var epochs = trainer.Fit(_data, 2);
        Assert.Equal(2, epochs.Count);
        var lines = File.ReadAllLines(_dir.File("logs/training.csv"));
        Assert.Equal("step,epoch,a_loss,c_loss,average,images_per_second", lines[0]);
        Assert.Equal(new[] { "3", "6", "9", "10", "12", "15", "18", "20" }, lines.Skip(1).Select(l => l.Split(',')[0]));
        Assert.True(File.Exists(_dir.File("logs/training.png")));
        Assert.Matches(@"epoch 1/2  A loss \d+\.\d{4}  C loss \d+\.\d{4}  average \d\.\d{3}  [\d,]+ img/s", log.ToString());

        // The device scalar moved every step: 0.9 a + 0.1 (A's loss) from 0.5.
        Assert.NotEqual(0.5f, step.Scalars.Single(s => s.Name == "average").Read());
        Assert.Equal(20, trainer.StepCount);
        Assert.Equal(20, step.GroupOptimizer.StepCount);
    }

    [Fact]
    public void ACheckpointOfThreeNetworksTwoOptimizersAndAScalarRoundTrips()
    {
        using var first = new ThreeNetworkStep(_backend, Batch);
        using var a = new Trainer(first, new TrainerOptions { Seed = 4 });
        a.Fit(_data, 2);
        string path = a.SaveCheckpoint(_dir.File("three.safetensors"));

        using var second = new ThreeNetworkStep(_backend, Batch);
        using var b = new Trainer(second, new TrainerOptions { Seed = 9 });
        b.LoadCheckpoint(path);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(first.Networks[i].Network.GetParameters(), second.Networks[i].Network.GetParameters());
        }

        for (int o = 0; o < 2; o++)
        {
            var (ours, theirs) = (first.Optimizers[o].Optimizer, second.Optimizers[o].Optimizer);
            Assert.Equal(ours.StepCount, theirs.StepCount);
            for (int n = 0; n < ours.Networks.Count; n++)
            {
                for (int s = 0; s < ours.StateOf(n).Count; s++)
                {
                    Assert.Equal(ours.StateOf(n)[s].Tensor.Span.ToArray(), theirs.StateOf(n)[s].Tensor.Span.ToArray());
                }
            }
        }

        Assert.Equal(first.Scalars.Single(s => s.Name == "average").Read(), second.Scalars.Single(s => s.Name == "average").Read());
        Assert.Equal(10UL, second.CSteps.Value);
        Assert.Equal((a.StepCount, a.EpochCount, a.EpochPosition, 4UL), (b.StepCount, b.EpochCount, b.EpochPosition, b.Options.Seed));

        // The file: PyTorch-style parameter tensors per network, the group's moments per network, parts by name.
        var file = SafetensorsFile.Read(path);
        Assert.Equal([21, 6], file["a.W0"].Shape);
        Assert.Equal([(int)first.A.ParameterCount], file["ab.optimizer.a.m"].Shape);
        Assert.True(file.TryGet("ab.optimizer.b.v", out _));
        Assert.True(file.TryGet("c.optimizer.square_avg", out _));
        Assert.Equal(Trainer.CheckpointFormat, file.Metadata["format"]);
        Assert.Equal("ThreeNetworkStep", file.Metadata["kind"]);
        Assert.Equal("a=LeakyTanhNet;b=ReluNet;c=DeepNet", file.Metadata["networks"]);
        Assert.Equal("ab.optimizer=adam:a,b;c.optimizer=rmsprop:c", file.Metadata["optimizers"]);
        Assert.Equal("average", file.Metadata["scalars"]);
        Assert.Equal("10", file.Metadata["counter.c_steps"]);
    }

    [Fact]
    public void AResumedRunIsBitIdenticalToOneThatNeverStopped()
    {
        using var straightStep = new ThreeNetworkStep(_backend, Batch);
        using var straight = new Trainer(straightStep, new TrainerOptions { Seed = 7 });
        straight.Fit(_data, 3);

        // Stopped mid-epoch 2 at an odd step (phase 0 next), written on cancellation, resumed by a fresh trainer.
        using (var firstStep = new ThreeNetworkStep(_backend, Batch))
        using (var first = new Trainer(firstStep, new TrainerOptions { Seed = 7, CheckpointDirectory = _dir.File("resume") }))
        {
            Interrupted.Fit(first, _data, 3, stopAt: 13);
            Assert.Equal((1, 3), (first.EpochCount, first.EpochPosition));
        }

        using var resumedStep = new ThreeNetworkStep(_backend, Batch);
        using var resumed = new Trainer(resumedStep, new TrainerOptions { Seed = 99, CheckpointDirectory = _dir.File("resume") });
        resumed.LoadCheckpoint(CheckpointFiles.Resolve("latest", _dir.File("resume")));
        var epochs = resumed.Fit(_data, 3);

        Assert.Equal(straight.StepCount, resumed.StepCount);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(straightStep.Networks[i].Network.GetParameters(), resumedStep.Networks[i].Network.GetParameters());
        }

        Assert.Equal(straightStep.GroupOptimizer.StateOf(1)[1].Tensor.Span.ToArray(), resumedStep.GroupOptimizer.StateOf(1)[1].Tensor.Span.ToArray());
        Assert.Equal(straightStep.Scalars.Single(s => s.Name == "average").Read(), resumedStep.Scalars.Single(s => s.Name == "average").Read());
        Assert.Equal(straightStep.CSteps.Value, resumedStep.CSteps.Value);
        Assert.Equal(2, epochs.Count);
    }

    [Fact]
    public void EachKindOfMismatchIsRefusedByNameAndChangesNothing()
    {
        string path;
        using (var step = new ThreeNetworkStep(_backend, Batch))
        using (var trainer = new Trainer(step))
        {
            trainer.Fit(_data, 1);
            path = trainer.SaveCheckpoint(_dir.File("mismatch.safetensors"));
        }

        string Refusal(ThreeNetworkStep step)
        {
            using (step)
            using (var trainer = new Trainer(step))
            {
                var before = step.Networks[0].Network.GetParameters();
                var e = Assert.Throws<CheckpointMismatchException>(() => trainer.LoadCheckpoint(path));
                Assert.Equal(before, step.Networks[0].Network.GetParameters());
                Assert.Equal(0, trainer.StepCount);
                Assert.Contains("mismatch.safetensors", e.Message);
                return e.Message;
            }
        }

        Assert.Contains("its network b is ReluNet, but this run's is SigmoidNoBiasNet", Refusal(new ThreeNetworkStep(_backend, Batch, makeB: b => new SigmoidNoBiasNet(b, 2))));
        Assert.Contains("its optimizer c.optimizer is rmsprop:c, but this run's is adam:c", Refusal(new ThreeNetworkStep(_backend, Batch, second: new AdamSettings())));
        Assert.Contains("device scalars this run lacks: average", Refusal(new ThreeNetworkStep(_backend, Batch, withScalar: false)));

        // Another step altogether.
        using var g = new SeedGenerator(_backend, 1);
        using var d = new SeedDiscriminator(_backend, 2);
        using var gan = new GanTrainer(g, d, new GanOptions { BatchSize = Batch });
        var other = Assert.Throws<CheckpointMismatchException>(() => gan.LoadCheckpoint(path));
        Assert.Contains("it holds a ThreeNetworkStep run, but this run's step is GanStep", other.Message);

        // A checkpoint from before this format: refused, saying so.
        string old = _dir.File("old.safetensors");
        SafetensorsFile.Write(old, [new SafetensorsTensor("generator.W0", [2], [1f, 2f])], new Dictionary<string, string> { ["format"] = "gandsl-gan-checkpoint/1" });
        var v1 = Assert.Throws<CheckpointMismatchException>(() => gan.LoadCheckpoint(old));
        Assert.Contains("before training steps became general", v1.Message);
    }

    [Fact]
    public void StepPartsNeedDistinctPlainNames()
    {
        var e = Assert.Throws<ArgumentException>(() => new NamedStep(_backend, "a", "a"));
        Assert.Contains("already has a part named 'a'", e.Message);
        e = Assert.Throws<ArgumentException>(() => new NamedStep(_backend, "a", "b/c"));
        Assert.Contains("only letters, digits", e.Message);
    }

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private static ImageDataset RandomImages(int count, int channels, int height, int width)
    {
        var pixels = new byte[count * channels * height * width];
        new Random(3).NextBytes(pixels);
        return ImageDataset.Create(pixels, count, channels, height, width);
    }

    private sealed class NamedStep : TrainingStep
    {
        public NamedStep(Backend backend, string first, string second)
            : base(backend, 1)
        {
            AddNetwork(first, new ReluNet(backend, 1));
            AddScalar(second);
        }

        public override void Run(StepContext context)
        {
        }
    }
}

/// <summary>What the trainer guards: steps that change, dropout masks, sealed declarations, batch sizes, windows in checkpoints.</summary>
public sealed class TrainerGuardTests : IDisposable
{
    private const int Batch = 4;
    private readonly CpuBackend _backend = new(1);
    private readonly ImageDataset _data = ImageDataset.Create(new byte[16 * 40], 16, 1, 5, 8);

    [Fact]
    public void DropoutMasksAreNewEveryStepOfAUserStep()
    {
        using var step = new DropoutStep(_backend, Batch);
        using var trainer = new Trainer(step, new TrainerOptions { Seed = 1 });
        var data = trainer.Upload(_data);
        var outputs = new List<float[]>();
        for (int i = 0; i < 3; i++)
        {
            trainer.Step(data, 0);
            outputs.Add(step.Net.Output(Batch).Span.ToArray());
        }

        // The same input and parameters (nothing is updated) through different masks.
        Assert.NotEqual(outputs[0], outputs[1]);
        Assert.NotEqual(outputs[1], outputs[2]);
    }

    [Fact]
    public void AStepThatChangesItsCallsSaysSoOrIsRefused()
    {
        using var step = new SwitchingStep(_backend, Batch);
        using var trainer = new Trainer(step);
        var data = trainer.Upload(_data);
        trainer.Step(data, 0);
        trainer.Step(data, 0);

        // Said (Changed): the phase is learned again, and the optimizer's count stays the number of its updates.
        step.Freeze(tell: true);
        trainer.Step(data, 0);
        trainer.Step(data, 0);
        Assert.Equal(2, step.Optimizer.StepCount);

        step.Freeze(tell: true, frozen: false);
        trainer.Step(data, 0);
        trainer.Step(data, 0);
        Assert.Equal(4, step.Optimizer.StepCount);

        // Not said: refused at the end of the step, not a silently wrong bias correction.
        step.Freeze(tell: false, frozen: true);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Step(data, 0));
        Assert.Contains("same calls", e.Message);
    }

    [Fact]
    public void DeclarationsCloseWhenATrainerRunsTheStepAndBatchesAreChecked()
    {
        using var step = new SwitchingStep(_backend, Batch);
        using var trainer = new Trainer(step);
        Assert.Contains("declare a step's parts", Assert.Throws<InvalidOperationException>(() => step.AddLate()).Message);

        using var greedy = new SwitchingStep(_backend, Batch) { Rows = Batch + 1 };
        using var other = new Trainer(greedy);
        var e = Assert.Throws<ArgumentException>(() => other.Step(other.Upload(_data), 0));
        Assert.Contains("batch holds 4 rows", e.Message);
    }

    [Fact]
    public void ACheckpointWrittenBetweenFlushesKeepsTheUnflushedSteps()
    {
        using var dir = new TestData.TempDirectory();
        using var step = new ThreeNetworkStep(_backend, Batch);
        using var trainer = new Trainer(step);
        var data = trainer.Upload(_data);
        for (int i = 0; i < 3; i++)
        {
            trainer.Step(data, i * Batch);
        }

        var file = SafetensorsFile.Read(trainer.SaveCheckpoint(dir.File("window.safetensors")));
        Assert.Equal("3", file.Metadata["epoch_steps"]);
        Assert.Equal("3,1,3", file.Metadata["statistics.epoch_counts"]);
    }

    public void Dispose() => _backend.Dispose();

    /// <summary>A network with dropout run on a fixed batch; nothing learns.</summary>
    private sealed class DropoutStep : TrainingStep
    {
        public DropoutStep(Backend backend, int batch)
            : base(backend, batch)
        {
            Net = AddNetwork("net", new ConditionNet(backend, 1));
            backend.Fill(Net.Input(batch), 0.5f);
            backend.Fill(Net.Labels(batch), 1f);
        }

        public Network Net { get; }

        public override void Run(StepContext context) => Net.Forward(BatchSize);
    }

    /// <summary>A step whose optimizer can be frozen, telling the trainer (Changed) or not.</summary>
    private sealed class SwitchingStep : TrainingStep
    {
        private bool _frozen;

        public SwitchingStep(Backend backend, int batch)
            : base(backend, batch)
        {
            Net = AddNetwork("net", new DeepNet(backend, 1));
            Optimizer = AddOptimizer("optimizer", new AdamSettings(), Net);
        }

        public Network Net { get; }

        public Optimizer Optimizer { get; }

        public int Rows { get; init; } = 4;

        public void Freeze(bool tell, bool frozen = true)
        {
            _frozen = frozen;
            if (tell)
            {
                Changed();
            }
        }

        public void AddLate() => AddStatistic("late");

        public override void Run(StepContext context)
        {
            context.Images(Net.Input(BatchSize).Buffer.View(0, Rows, 40));
            if (!_frozen)
            {
                context.Update(Optimizer);
            }
        }
    }
}
