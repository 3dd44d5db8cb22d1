using GanDsl.Backends;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// Side branches on the GPU (<see cref="Backend.BeginBranch"/>: a second stream, and in a captured step a second
/// path through the graph): branch work starts after the main line's earlier work and is finished before what
/// follows a join, called directly and replayed; a capture joins a branch left unjoined, and one left open or a body that throws
/// after a branch leaves the backend usable; column sums refuse to run on a branch; and training with branches equals training
/// on one stream. Skipped, with the reason, where there is no GPU.
/// </summary>
public sealed class CudaBranchTests
{
    private const int M = 192, K = 256, N = 160;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BranchWorkFollowsEarlierWorkAndPrecedesTheJoin(bool capture)
    {
        using var gpu = Gpu.Require(branches: true);
        Assert.True(gpu.Branches);
        var aHost = Gpu.Random(M * K, 1);
        var bHost = Gpu.Random(K * N, 2);
        var pHost = Gpu.Random(M * K, 3);
        var staged = Gpu.Tensor(gpu, aHost, M, K);
        var a = gpu.Allocate(M * K).View(0, M, K);
        var b = Gpu.Tensor(gpu, bHost, K, N);
        var c = gpu.Allocate(M * N).View(0, M, N);
        var copy = gpu.Allocate(M * N).View(0, M, N);
        var p = Gpu.Tensor(gpu, pHost, M, K);
        var r = gpu.Allocate(M * N).View(0, M, N);

        // Main: stage A. Branch: C = A B (must see the staged A). Main: busy work on other tensors. Join. Main: copy C
        // (must see the finished product).
        void Body()
        {
            gpu.Copy(staged, a);
            gpu.BeginBranch();
            gpu.Gemm(a, false, b, false, c);
            gpu.EndBranch();
            for (int i = 0; i < 8; i++)
            {
                gpu.Gemm(p, false, b, false, r, beta: 1f);
            }

            gpu.JoinBranches();
            gpu.Copy(c, copy);
        }

        using var cpu = Gpu.Cpu();
        float[] Expected(float[] aValues)
        {
            var product = Gpu.Tensor(cpu, aValues, M, K);
            var result = cpu.Allocate(M * N).View(0, M, N);
            cpu.Gemm(product, false, Gpu.Tensor(cpu, bHost, K, N), false, result);
            return result.Span.ToArray();
        }

        gpu.Fill(r, 0f);
        if (!capture)
        {
            Body();
            Gpu.Close(Expected(aHost), Gpu.Host(copy), 1e-5, "the branch's product, copied after the join");
            return;
        }

        using var graph = gpu.Capture(Body);
        Assert.False(gpu.InBranch);
        for (int replay = 0; replay < 2; replay++)
        {
            // A new A between replays: the branch must read it after the main line has staged it.
            var next = Gpu.Random(M * K, 10 + replay);
            gpu.Upload(next, staged);
            graph.Launch();
            Gpu.Close(Expected(next), Gpu.Host(copy), 1e-5, $"replay {replay + 1}: the branch's product, copied after the join");
        }
    }

    [Fact]
    public void ACaptureJoinsABranchLeftUnjoined()
    {
        using var gpu = Gpu.Require(branches: true);
        var aHost = Gpu.Random(M * K, 1);
        var bHost = Gpu.Random(K * N, 2);
        var a = Gpu.Tensor(gpu, aHost, M, K);
        var b = Gpu.Tensor(gpu, bHost, K, N);
        var c = gpu.Allocate(M * N).View(0, M, N);
        using var graph = gpu.Capture(() =>
        {
            gpu.BeginBranch();
            gpu.Gemm(a, false, b, false, c);
            gpu.EndBranch();
        });
        graph.Launch();

        using var cpu = Gpu.Cpu();
        var expected = cpu.Allocate(M * N).View(0, M, N);
        cpu.Gemm(Gpu.Tensor(cpu, aHost, M, K), false, Gpu.Tensor(cpu, bHost, K, N), false, expected);
        Gpu.Close(expected.Span, Gpu.Host(c), 1e-5, "the product of a branch the capture joined");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ACaptureThatFailsAfterABranchLeavesTheBackendUsable(bool leftOpen)
    {
        // Left open, or closed and then the body throws: either way the capture is abandoned with both streams.
        using var gpu = Gpu.Require(branches: true);
        var a = Gpu.Tensor(gpu, Gpu.Random(M * K, 1), M, K);
        var b = Gpu.Tensor(gpu, Gpu.Random(K * N, 2), K, N);
        var c = gpu.Allocate(M * N).View(0, M, N);
        var e = Assert.Throws<InvalidOperationException>(() => gpu.Capture(() =>
        {
            gpu.BeginBranch();
            gpu.Gemm(a, false, b, false, c);
            if (!leftOpen)
            {
                gpu.EndBranch();
                throw new InvalidOperationException("the step failed");
            }
        }));
        Assert.Contains(leftOpen ? "left a side branch open" : "the step failed", e.Message);
        Assert.False(gpu.InBranch);
        Assert.False(gpu.IsCapturing);

        // Both streams left the failed capture: direct calls and a new capture with a branch work.
        gpu.Fill(c, 2f);
        Assert.All(Gpu.Host(c), v => Assert.Equal(2f, v));
        using var graph = gpu.Capture(() =>
        {
            gpu.BeginBranch();
            gpu.Fill(c, 3f);
            gpu.EndBranch();
        });
        graph.Launch();
        Assert.All(Gpu.Host(c), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void ColumnSumsRefuseToRunOnABranch()
    {
        using var gpu = Gpu.Require(branches: true);
        var dz = Gpu.Tensor(gpu, Gpu.Random(64 * 40, 1), 64, 40);
        var db = gpu.Allocate(40).View(0, 1, 40);
        gpu.BeginBranch();
        var e = Assert.Throws<InvalidOperationException>(() => gpu.BiasGradient(dz, db, accumulate: false));
        gpu.EndBranch();
        Assert.Contains("cannot run on a side branch", e.Message);
    }

    [Theory]
    [InlineData("seed")]
    [InlineData("conditional")]
    public void TrainingWithBranchesEqualsTrainingOnOneStream(string model)
    {
        // Branched: the gather (and, conditioned, the discriminator's label copies) beside the generator's forward
        // pass, weight-gradient GEMMs beside the backward passes; replayed and called directly.
        var data = TestData.RandomImages(8 * 64, seed: 1);
        float[][] Train(bool branches, bool capture)
        {
            using var gpu = Gpu.Require(branches);
            Assert.Equal(branches, gpu.Branches);
            using Network g = model == "seed" ? new SeedGenerator(gpu, 1) : new ConditionalGan.ConditionalGenerator(gpu, 1);
            using Network d = model == "seed" ? new SeedDiscriminator(gpu, 2) : new ConditionalGan.ConditionalDiscriminator(gpu, 2);
            using var trainer = new GanTrainer(g, d, new GanOptions { BatchSize = 64, Seed = 5, ProgressBar = false, CaptureSteps = capture });
            var images = trainer.Upload(data);
            for (int i = 0; i < 12; i++)
            {
                trainer.Step(images, i % 8 * 64);
            }

            Assert.Equal(capture, trainer.ReplayingGraphs);
            if (capture)
            {
                // The graph's shape, as the driver reports it: with branches, some nodes run beside the longest chain.
                var (nodes, chain) = trainer.StepGraphShape;
                Assert.True(nodes > 0 && chain > 0, $"step graph shape ({nodes}, {chain})");
                if (branches)
                {
                    Assert.True(chain < nodes, $"{model}: a branched step graph of {nodes} nodes has a chain of {chain}");
                }
                else
                {
                    Assert.Equal(nodes, chain);
                }
            }

            var stats = trainer.ReadStats();
            return [g.GetParameters(), d.GetParameters(), [(float)stats.DiscriminatorLoss, (float)stats.GeneratorLoss]];
        }

        var oneStream = Train(branches: false, capture: true);
        foreach (bool capture in new[] { true, false })
        {
            var branched = Train(branches: true, capture);
            string how = capture ? "replayed" : "called directly";
            Gpu.Close(oneStream[0], branched[0], 1e-6, $"{model} generator after 12 steps, branched and {how}");
            Gpu.Close(oneStream[1], branched[1], 1e-6, $"{model} discriminator after 12 steps, branched and {how}");
            Gpu.Close(oneStream[2], branched[2], 1e-6, $"{model} losses, branched and {how}");
        }
    }
}
