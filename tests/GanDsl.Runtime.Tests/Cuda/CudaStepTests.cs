using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Tests.Training;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// The step machinery on the GPU against the CPU: scalar programs, Add, gathers to [0, 1], scheduled optimizer
/// updates, and the user-written steps (BEGAN, the autoencoder, a step of three networks) trained a few steps, replayed
/// from a captured graph and run directly. Skipped, with the reason, where there is no GPU.
/// </summary>
public sealed class CudaStepTests
{
    [Fact]
    public void ScalarProgramsAndAddMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var start = new[] { 0.25f, 0.3f, 0.2f, 1f, -2f };
        var x = Gpu.Random(1000, 3);
        var y = Gpu.Random(1000, 4);
        Gpu.Close(Run(cpu), Run(gpu), 0, "scalar program and Add");

        Tensor Run(Backend backend)
        {
            var memory = Gpu.Tensor(backend, start, 1, 5);
            var (k, real, fake, m, w) = (memory.Buffer.View(0, 1, 1), memory.Buffer.View(1, 1, 1), memory.Buffer.View(2, 1, 1), memory.Buffer.View(3, 1, 1), memory.Buffer.View(4, 1, 1));
            using var epoch = backend.CreateCounter(7);
            ScalarExpr K = ScalarExpr.Read(k), R = ScalarExpr.Read(real), F = ScalarExpr.Read(fake);
            var program = new ScalarProgram(
                new ScalarAssignment(m, R + ScalarExpr.Abs(0.5f * R - F), Add: true),
                new ScalarAssignment(k, ScalarExpr.Clamp(K + 0.001f * (0.5f * R - F), 0f, 1f)),
                new ScalarAssignment(w, ScalarExpr.Max(ScalarExpr.Min(ScalarExpr.Read(w), -K), -5f) / ScalarExpr.Counter(epoch.Times(2, 1))),
                new ScalarAssignment(real, -K * 3f - F, Add: true));
            backend.Evaluate(program);
            backend.Evaluate(program);
            var all = backend.Allocate(2005);
            var tx = Gpu.Tensor(backend, x, 1, 1000);
            var ty = Gpu.Tensor(backend, y, 1, 1000);
            backend.Add(tx, ty, -0.75f);
            backend.Add(ty, tx);
            backend.Copy(tx, all.View(0, 1, 1000));
            backend.Copy(ty, all.View(1000, 1, 1000));
            backend.Copy(memory, all.View(2000, 1, 5));
            return all.All;
        }
    }

    [Fact]
    public void LatentVectorsMatchTheCpuDirectlyAndReplayed()
    {
        // Three steps: the first runs directly, the second is captured, the third replays the graph.
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var expected = GanDsl.Tests.Training.LatentStep.Draw(cpu, seed: 11, steps: 3);
        var actual = GanDsl.Tests.Training.LatentStep.Draw(gpu, seed: 11, steps: 3);
        Gpu.Close(expected, actual, 1e-6, "latent vectors and codes");

        // The categorical and uniform parts are the same bits: classes, their one-hot columns, the uniform codes.
        const int batch = 64;
        Assert.Equal(expected.AsSpan(batch * 9, 2 * batch).ToArray(), actual.AsSpan(batch * 9, 2 * batch).ToArray());
        for (int r = 0; r < batch; r++)
        {
            Assert.Equal(expected.AsSpan(r * 7 + 2, 5).ToArray(), actual.AsSpan(r * 7 + 2, 5).ToArray());
        }
    }

    [Fact]
    public void StackedChannelsAndTheirSplitMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var a = Gpu.Random(5 * 49 * 1, 3);
        var b = Gpu.Random(5 * 49 * 3, 4);
        var expected = Run(cpu);
        var actual = Run(gpu);
        Assert.Equal(expected, actual); // copies: the same bits

        float[] Run(Backend backend)
        {
            var ta = Gpu.Tensor(backend, a, 5, 49);
            var tb = Gpu.Tensor(backend, b, 5, 49 * 3);
            var all = backend.Allocate(5 * 49 * 4 * 2 + 5 * 49 * 3);
            var y = all.View(0, 5, 49 * 4);
            backend.ConcatChannels(ta, tb, y, 49);
            var back = all.View(5 * 49 * 4, 5, 49 * 4);
            backend.SplitChannels(y, back.Buffer.View(back.Offset, 5, 49), back.Buffer.View(back.Offset + 5 * 49, 5, 49 * 3), 49);
            backend.SplitChannels(y, default, all.View(5 * 49 * 8, 5, 49 * 3), 49);
            return Gpu.Host(all.View(0, 1, (int)all.Length));
        }
    }

    [Theory]
    [InlineData("TransposedNet")]
    [InlineData("ConditionConvNet")]
    public void TwoActivationContextsMatchTheCpu(string name)
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        Gpu.Close(GanDsl.Tests.Numerics.ContextTests.TwoContexts(cpu, name), GanDsl.Tests.Numerics.ContextTests.TwoContexts(gpu, name), 1e-5,
            $"{name}: two forward passes, then both backward passes");
    }

    [Fact]
    public void GathersToZeroOneAndScheduledUpdatesMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var pixels = new byte[20 * 12];
        new Random(2).NextBytes(pixels);
        var gradient = Gpu.Random(300, 5);
        foreach (bool adam in new[] { true, false })
        {
            Gpu.Close(Run(cpu), Run(gpu), 1e-6, $"gather and {(adam ? "Adam" : "RMSprop")} with a schedule");
        }

        Tensor Run(Backend backend)
        {
            var all = backend.Allocate(8 * 12 + 600);
            using var images = backend.CreateImageSet(pixels, 20, 12);
            images.SetOrder(Enumerable.Range(0, 20).Reverse().ToArray());
            backend.GatherImages(images, new CounterValue(null, 0, 3), all.View(0, 8, 12), PixelScale.ZeroToOne);
            using var net = new Models.ReluNet(backend, 1);
            var settings = new AdamSettings(1e-2);
            using var optimizer = Optimizer.Create(settings, net);
            optimizer.Schedule = LearningRateSchedule.LinearDecay(2, 6);
            using var epoch = backend.CreateCounter(4);
            for (int i = 0; i < 2; i++)
            {
                backend.Upload(gradient.AsSpan(0, (int)net.ParameterCount), net.Gradients);
                optimizer.UpdateSchedule(epoch);
                optimizer.Step();
            }

            backend.Copy(net.Parameters, all.View(96, 1, (int)net.ParameterCount));
            return all.All;
        }
    }

    [Fact]
    public void AStepOfThreeNetworksReplaysAsItRunsAndFollowsTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var pixels = new byte[80 * 40];
        new Random(3).NextBytes(pixels);
        var data = ImageDataset.Create(pixels, 80, 1, 5, 8);
        float[] Train(Backend backend, bool capture)
        {
            using var step = new ThreeNetworkStep(backend, 8);
            using var trainer = new Trainer(step, new TrainerOptions { Seed = 3, CaptureSteps = capture });
            trainer.Fit(data, 2);
            Assert.Equal(capture && backend.SupportsCapture, trainer.ReplayingGraphs);
            return [.. step.Networks.SelectMany(n => n.Network.GetParameters()), step.Scalars.Single(s => s.Name == "average").Read()];
        }

        var onCpu = Train(cpu, capture: false);
        var direct = Train(gpu, capture: false);
        var replayed = Train(gpu, capture: true);
        Gpu.Close(direct, replayed, 1e-6, "replayed against direct");
        Gpu.Close(onCpu, direct, 1e-4, "GPU against CPU after 20 steps");
    }

    [Fact]
    public void LoadingACheckpointOfAnotherSeedCapturesTheStepAgain()
    {
        // A trainer that has replayed steps under seed 1, then loads a run of seed 7, continues exactly as a fresh
        // trainer that loaded the same checkpoint: its graphs do not keep the old seed's draws.
        using var gpu = Gpu.Require();
        using var dir = new TestData.TempDirectory();
        var pixels = new byte[40 * 40];
        new Random(4).NextBytes(pixels);
        var data = ImageDataset.Create(pixels, 40, 1, 5, 8);
        string path;
        using (var step = new ThreeNetworkStep(gpu, 8))
        using (var trainer = new Trainer(step, new TrainerOptions { Seed = 7 }))
        {
            trainer.Fit(data, 1);
            path = trainer.SaveCheckpoint(dir.File("seed7.safetensors"));
        }

        float[] Continue(bool replayedBefore)
        {
            using var step = new ThreeNetworkStep(gpu, 8);
            using var trainer = new Trainer(step, new TrainerOptions { Seed = 1 });
            if (replayedBefore)
            {
                trainer.Fit(data, 1);
                Assert.True(trainer.ReplayingGraphs);
            }

            trainer.LoadCheckpoint(path);
            trainer.Fit(data, 3);
            return [.. step.Networks.SelectMany(n => n.Network.GetParameters())];
        }

        Gpu.Close(Continue(false), Continue(true), 0, "resumed after replaying another seed's steps");
    }

    [Fact]
    public void BeganAndTheAutoencoderFollowTheCpuAndReplayAsTheyRun()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        var data = TestData.RandomImages(4 * 8, seed: 2);
        float[] Began(Backend backend, bool capture)
        {
            using var g = new global::Began.BeganGenerator(backend, 1);
            using var d = new global::Began.BeganDiscriminator(backend, 2);
            using var step = new global::Began.BeganStep(g, d, new AdamSettings(2e-4), 8);
            using var trainer = new Trainer(step, new TrainerOptions { CaptureSteps = capture });
            var epochs = trainer.Fit(data, 1);
            return [.. g.GetParameters(), .. d.GetParameters(), step.Scalars.Single(s => s.Name == "k").Read(), (float)epochs[0].Stats["M"]];
        }

        var direct = Began(gpu, false);
        Gpu.Close(Began(cpu, false), direct, 1e-4, "BEGAN: GPU against CPU after 4 steps");
        Gpu.Close(direct, Began(gpu, true), 1e-6, "BEGAN: replayed against direct");

        float[] Autoencoder(Backend backend, bool capture)
        {
            using var net = new global::Autoencoder.MnistAutoencoder(backend, 1);
            using var step = new global::Autoencoder.AutoencoderStep(net, new AdamSettings(1e-3), 8);
            using var trainer = new Trainer(step, new TrainerOptions { CaptureSteps = capture });
            var epochs = trainer.Fit(data, 1);
            return [.. net.GetParameters(), (float)epochs[0].Stats["BCE"]];
        }

        var autoencoder = Autoencoder(gpu, false);
        Gpu.Close(Autoencoder(cpu, false), autoencoder, 1e-5, "autoencoder: GPU against CPU after 4 steps");
        Gpu.Close(autoencoder, Autoencoder(gpu, true), 1e-6, "autoencoder: replayed against direct");
    }
}
