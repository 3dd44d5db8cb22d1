using GanDsl.Backends;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// Every sample network (and the test networks with convolutions, BatchNorm, conditions and the
/// WGAN-GP pass) on the GPU against the CPU: the same initial parameters, then forward, backward and one
/// Adam step, fp32 without TF32. Tolerances (relative, in the Euclidean norm): 1e-5 on activations,
/// 1e-4 on gradients and updated parameters. Skipped, with the reason, where there is no GPU.
/// </summary>
public sealed class CudaNetworkParityTests
{
    private const int Rows = 32;

    private static readonly Dictionary<string, Func<Backend, Network>> s_networks = new()
    {
        ["SeedGenerator"] = b => new SeedGenerator(b, 3),
        ["SeedDiscriminator"] = b => new SeedDiscriminator(b, 3),
        ["ConditionalGenerator"] = b => new ConditionalGan.ConditionalGenerator(b, 3),
        ["ConditionalDiscriminator"] = b => new ConditionalGan.ConditionalDiscriminator(b, 3),
        ["DcganGenerator"] = b => new Dcgan.DcganGenerator(b, 3),
        ["DcganDiscriminator"] = b => new Dcgan.DcganDiscriminator(b, 3),
        ["WganCritic"] = b => new Wgan.WganCritic(b, 3),
        ["WganGpGenerator"] = b => new WganGp.WganGpGenerator(b, 3),
        ["WganGpCritic"] = b => new WganGp.WganGpCritic(b, 3),
        ["ConvNet"] = b => new ConvNet(b, 3),
        ["ExponentialNet"] = b => new ExponentialNet(b, 3),
        ["UpsampleNet"] = b => new UpsampleNet(b, 3),
        ["PenaltyUpsample"] = b => new PenaltyUpsample(b, 3),
        ["TransposedNet"] = b => new TransposedNet(b, 3),
        ["ConditionConvNet"] = b => new ConditionConvNet(b, 3),
        ["ProductNet"] = b => new ProductNet(b, 3),
        ["PReluNet"] = b => new PReluNet(b, 3),
        ["InstanceNormNet"] = b => new InstanceNormNet(b, 3),
        ["SkipNet"] = b => new SkipNet(b, 3),
        ["PenaltyConv"] = b => new PenaltyConv(b, 3),
        ["PenaltyConditional"] = b => new PenaltyConditional(b, 3),
    };

    public static TheoryData<string> Networks() => [.. s_networks.Keys];

    [Theory]
    [MemberData(nameof(Networks))]
    public void ForwardBackwardAndAdamMatchTheCpu(string name)
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        using var a = s_networks[name](cpu);
        using var b = s_networks[name](gpu);
        Gpu.Close(a.Parameters, b.Parameters, 1e-6, $"{name} initial parameters");

        foreach (var net in new[] { a, b })
        {
            net.EnsureCapacity(Rows);
            net.RandomSeed = 11;
            net.DropoutCounter = 5;
            net.Backend.Upload(Gpu.Random(Rows * net.InputFeatures, 1), net.Input(Rows));
            if (net.Layout.ConditionClasses > 0)
            {
                var labels = Enumerable.Range(0, Rows).Select(i => (float)(i * 7 % net.Layout.ConditionClasses)).ToArray();
                net.Backend.Upload(labels, net.Labels(Rows));
            }

            net.Forward(Rows);
        }

        Gpu.Close(a.Output(Rows), b.Output(Rows), 1e-5, $"{name} forward output");
        for (int slot = 1; slot < a.Layout.ActivationWidths.Count; slot++)
        {
            Gpu.Close(a.Activation(slot, Rows), b.Activation(slot, Rows), 1e-5, $"{name} activation {slot}");
        }

        if (a.Layout.StateCount > 0)
        {
            Gpu.Close(a.GetState(), b.GetState(), 1e-5, $"{name} BatchNorm running statistics");
        }

        var upstream = Gpu.Random(Rows * a.OutputFeatures, 2);
        foreach (var net in new[] { a, b })
        {
            net.Backend.Upload(upstream, net.OutputGradient(Rows));
            net.Backward(Rows, inputGradient: true);
        }

        Gpu.Close(a.Gradients, b.Gradients, 1e-4, $"{name} parameter gradients");
        Gpu.Close(a.InputGradient(Rows), b.InputGradient(Rows), 1e-4, $"{name} input gradient");

        // The discriminator's input-only backward of the generator step.
        foreach (var net in new[] { a, b })
        {
            net.Backend.Upload(upstream, net.OutputGradient(Rows));
            net.Backward(Rows, weightGradients: false, inputGradient: true);
        }

        Gpu.Close(a.InputGradient(Rows), b.InputGradient(Rows), 1e-4, $"{name} input gradient without weight gradients");

        // Adam's first step moves every parameter by about lr whatever its gradient's size, so gradients that
        // are rounding noise (a Dense bias feeding BatchNorm, whose true gradient is zero) would flip signs
        // between the backends; an epsilon above that noise keeps their steps negligible on both.
        var settings = new AdamSettings(1e-3, epsilon: 1e-4);
        using var adamA = new AdamOptimizer(a, settings);
        using var adamB = new AdamOptimizer(b, settings);
        adamA.Step();
        adamB.Step();
        Gpu.Close(a.Parameters, b.Parameters, 1e-4, $"{name} parameters after one Adam step");
        Assert.False(adamB.TakeNonFiniteFlag());
    }

    // Heads: every head's output, then backward passes given all heads and a subset (the later heads' trunk gradients
    // landing beside the first's and added), accumulating, with the input gradient.
    [Theory]
    [InlineData("TwoHeadNet")]
    [InlineData("ThreeHeadNet")]
    public void HeadsMatchTheCpu(string name)
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        Func<Backend, Network> create = name == "TwoHeadNet" ? b => new TwoHeadNet(b, 3) : b => new ThreeHeadNet(b, 3);
        using var a = create(cpu);
        using var b = create(gpu);
        foreach (var net in new[] { a, b })
        {
            net.EnsureCapacity(Rows);
            net.Backend.Upload(Gpu.Random(Rows * net.InputFeatures, 1), net.Input(Rows));
            net.Forward(Rows);
        }

        for (int h = 0; h < a.Heads.Count; h++)
        {
            Gpu.Close(a.Heads[h].Output(Rows), b.Heads[h].Output(Rows), 1e-5, $"{name} head {a.Heads[h].Name} output");
        }

        foreach (var net in new[] { a, b })
        {
            HeadSet all = default, last = net.Heads[^1];
            foreach (var head in net.Heads)
            {
                all |= head;
            }

            foreach (var (heads, pass) in new[] { (all, 0), (last | net.Heads[0], 1) })
            {
                foreach (var head in net.Heads)
                {
                    net.Backend.Upload(Gpu.Random(Rows * head.Features, 10 + head.Index + pass), head.OutputGradient(Rows));
                }

                net.Backward(Rows, heads, inputGradient: true, accumulate: pass == 1);
            }
        }

        Gpu.Close(a.Gradients, b.Gradients, 1e-4, $"{name} parameter gradients from the heads");
        Gpu.Close(a.InputGradient(Rows), b.InputGradient(Rows), 1e-4, $"{name} input gradient from the heads");
    }

    // Shared layers: an owner and the two networks that use its last layers, each run forward and backward, then the
    // sharers' gradients of the shared layers added to the owner's.
    [Fact]
    public void SharedLayersMatchTheCpu()
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        Network[] Family(Backend backend)
        {
            var owner = new SharedLastOwnerNet(backend, 3);
            return [owner, new SharedLastNet(backend, owner, 4), new SharedNarrowNet(backend, owner, 5)];
        }

        var a = Family(cpu);
        var b = Family(gpu);
        try
        {
            foreach (var family in new[] { a, b })
            {
                for (int k = 0; k < family.Length; k++)
                {
                    var net = family[k];
                    net.EnsureCapacity(Rows);
                    net.Backend.Upload(Gpu.Random(Rows * net.InputFeatures, 20 + k), net.Input(Rows));
                    net.Forward(Rows);
                    net.Backend.Upload(Gpu.Random(Rows * net.OutputFeatures, 30 + k), net.OutputGradient(Rows));
                    net.Backward(Rows, inputGradient: true);
                }
            }

            for (int k = 0; k < a.Length; k++)
            {
                string name = a[k].Layout.Name;
                Gpu.Close(a[k].Output(Rows), b[k].Output(Rows), 1e-5, $"{name} output");
                Gpu.Close(a[k].Gradients, b[k].Gradients, 1e-4, $"{name} parameter gradients");
                Gpu.Close(a[k].InputGradient(Rows), b[k].InputGradient(Rows), 1e-4, $"{name} input gradient");
                if (k > 0)
                {
                    Gpu.Close(a[k].SharedGradients, b[k].SharedGradients, 1e-4, $"{name} shared-layer gradients");
                }
            }

            // What an optimizer's step does first. (Not the step itself: Adam's first step moves a parameter by about lr
            // whatever its gradient's size, so the conv biases before BatchNorm, whose gradients are rounding noise, would differ.)
            foreach (var family in new[] { a, b })
            {
                family[1].AddSharedGradientsToOwner();
                family[2].AddSharedGradientsToOwner();
            }

            Gpu.Close(a[0].Gradients, b[0].Gradients, 1e-4, "the owner's summed gradients");
            Assert.All(Gpu.Host(b[1].SharedGradients), g => Assert.Equal(0f, g)); // and zeroed there
        }
        finally
        {
            foreach (var net in b.Concat(a).Reverse())
            {
                net.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("SeedDiscriminator")]
    [InlineData("ConditionalDiscriminator")]
    public void ColumnSumsOverSeveralRowSlicesMatchTheCpu(string name)
    {
        // 1000 rows: the GPU's column kernels (bias gradients, the narrow Dense(1)'s weight and bias gradients)
        // split them into slices, the last one partial, and the last slice to finish adds them in order. The
        // second backward accumulates onto the first.
        const int rows = 1000;
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        using var a = s_networks[name](cpu);
        using var b = s_networks[name](gpu);
        var input = Gpu.Random(rows * a.InputFeatures, 6);
        var upstream = Gpu.Random(rows * a.OutputFeatures, 7);
        foreach (var net in new[] { a, b })
        {
            net.EnsureCapacity(rows);
            net.Backend.Upload(input, net.Input(rows));
            if (net.Layout.ConditionClasses > 0)
            {
                net.Backend.Upload(Enumerable.Range(0, rows).Select(i => (float)(i % net.Layout.ConditionClasses)).ToArray(), net.Labels(rows));
            }

            net.Forward(rows);
            for (int pass = 0; pass < 2; pass++)
            {
                net.Backend.Upload(upstream, net.OutputGradient(rows));
                net.Backward(rows, inputGradient: true, accumulate: pass == 1);
            }
        }

        Gpu.Close(a.Output(rows), b.Output(rows), 1e-5, $"{name} forward output over {rows} rows");
        Gpu.Close(a.Gradients, b.Gradients, 1e-4, $"{name} accumulated parameter gradients over {rows} rows");
        Gpu.Close(a.InputGradient(rows), b.InputGradient(rows), 1e-4, $"{name} input gradient over {rows} rows");
    }

    [Theory]
    [InlineData("WganGpCritic")]
    [InlineData("PenaltyConv")]
    [InlineData("PenaltyConditional")]
    [InlineData("PenaltyUpsample")]
    public void GradientPenaltyPassMatchesTheCpu(string name)
    {
        using var gpu = Gpu.Require();
        using var cpu = Gpu.Cpu();
        using var a = s_networks[name](cpu);
        using var b = s_networks[name](gpu);
        var input = Gpu.Random(Rows * a.InputFeatures, 4);
        foreach (var net in new[] { a, b })
        {
            var backend = net.Backend;
            net.EnsureCapacity(Rows);
            net.RandomSeed = 2;
            net.DropoutCounter = 9;
            backend.Upload(input, net.Input(Rows));
            if (net.Layout.ConditionClasses > 0)
            {
                backend.Upload(Enumerable.Range(0, Rows).Select(i => (float)(i % net.Layout.ConditionClasses)).ToArray(), net.Labels(Rows));
            }

            net.ZeroGradients();
            net.Forward(Rows);
            var ones = net.OutputGradient(Rows);
            backend.Fill(ones, 1f);
            net.Backward(Rows, weightGradients: false, inputGradient: true);
            using var tangentBuffer = backend.Allocate((long)Rows * net.InputFeatures);
            using var stats = backend.Allocate(2);
            var tangent = tangentBuffer.View(0, Rows, net.InputFeatures);
            backend.GradientPenalty(net.InputGradient(Rows), 10f / Rows, tangent, stats.All);
            net.GradientPenaltyBackward(Rows, tangent, ones);
            backend.Synchronize();
        }

        Gpu.Close(a.Gradients, b.Gradients, 1e-4, $"{name} gradient-penalty parameter gradients");
    }
}
