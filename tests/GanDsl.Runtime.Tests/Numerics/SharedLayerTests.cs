using GanDsl.Backends.Cpu;
using GanDsl.Checkpoints;
using GanDsl.Randomness;
using GanDsl.Tests.Models;
using static GanDsl.Tests.Numerics.Numeric;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// Layers shared between networks ([SharedWith]): a sharing network computes with its owner's parameters, both networks'
/// gradients of the shared parameters add up once in the owner's (against finite differences of the summed losses), an
/// optimizer holding them updates each shared parameter once, and checkpoints store it once.
/// </summary>
public sealed class SharedLayerTests : IDisposable
{
    private const int Rows = 5;
    private readonly CpuBackend _backend = new(2);

    public void Dispose() => _backend.Dispose();

    [Theory]
    [InlineData(nameof(SharedFirstNet))]
    [InlineData(nameof(SharedThenNarrowNet))]
    [InlineData(nameof(SharedLastNet))]
    [InlineData(nameof(SharedNarrowNet))]
    public void ASharingNetworkComputesWithItsOwnersParameters(string name)
    {
        var (owner, sharers) = CreateFamily(name is nameof(SharedFirstNet) or nameof(SharedThenNarrowNet) ? nameof(SharedOwnerNet) : nameof(SharedLastOwnerNet));
        using var _ = owner;
        var net = sharers.Single(s => s.Layout.Name == name);
        var x = Input(net, 1);
        net.Forward(Rows);
        var expected = new ReferenceNetwork(Resolved(net.Layout)).Forward(Combined(net, owner), ToDouble(x), Rows);
        var actual = Host(net.Output(Rows));
        double scale = expected.Max(Math.Abs) + 1e-3;
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 * scale, $"{name} output {i}: float {actual[i]} vs double {expected[i]}");
        }

        // A change to the owner's shared parameters changes the sharer's output; a change to the owner's other ones does not.
        var p = owner.GetParameters();
        for (int i = 0; i < p.Length; i++)
        {
            bool shared = i >= net.Layout.SharedOffset && i < net.Layout.SharedOffset + net.Layout.SharedParameterCount;
            p[i] += shared ? 0f : 0.5f;
        }

        owner.SetParameters(p);
        net.Forward(Rows);
        Assert.Equal(actual, Host(net.Output(Rows)));
        p[(int)net.Layout.SharedOffset] += 0.5f;
        owner.SetParameters(p);
        net.Forward(Rows);
        Assert.NotEqual(actual, Host(net.Output(Rows)));
        DisposeAll(sharers);
    }

    [Theory]
    [InlineData(nameof(SharedOwnerNet), false)]
    [InlineData(nameof(SharedOwnerNet), true)]
    [InlineData(nameof(SharedLastOwnerNet), false)]
    [InlineData(nameof(SharedLastOwnerNet), true)]
    public void EveryNetworksGradientsOfTheSharedLayersAddOnceInTheOwner(string ownerName, bool ownerLast)
    {
        var (owner, sharers) = CreateFamily(ownerName);
        using var _ = owner;
        Network[] all = [owner, .. sharers];
        var inputs = all.Select((n, k) => Input(n, (ulong)k + 1)).ToArray();
        var weights = all.Select((n, k) => Upstream(n, (ulong)k + 7)).ToArray();

        // Each network's own forward and backward pass, in either order: the sharers' gradients of the shared layers
        // stay apart until they are added to the owner's.
        foreach (var n in all)
        {
            n.Forward(Rows);
        }

        Network[] order = ownerLast ? [.. sharers, owner] : all;
        foreach (var n in order)
        {
            _backend.Upload(weights[Array.IndexOf(all, n)], n.OutputGradient(Rows));
            n.Backward(Rows);
        }

        foreach (var s in sharers)
        {
            Assert.Contains(Host(s.SharedGradients), g => g != 0f);
            s.AddSharedGradientsToOwner();
            Assert.All(Host(s.SharedGradients), g => Assert.Equal(0f, g));
        }

        var ownerGradients = Host(owner.Gradients);
        foreach (var s in sharers)
        {
            s.AddSharedGradientsToOwner(); // a second call adds nothing
        }

        Assert.Equal(ownerGradients, Host(owner.Gradients));

        // The summed loss in double: the owner's term and each sharer's, the sharers reading the owner's shared parameters.
        var references = all.Select(n => new ReferenceNetwork(n == owner ? n.Layout : Resolved(n.Layout))).ToArray();
        var ownerParameters = ToDouble(owner.GetParameters());
        var own = sharers.Select(s => ToDouble(s.GetParameters())).ToArray();
        var x = inputs.Select(ToDouble).ToArray();
        var w = weights.Select(ToDouble).ToArray();
        double Loss(double[] ownerP, int changed, double[]? changedOwn)
        {
            double sum = references[0].WeightedOutput(ownerP, x[0], Rows, w[0]);
            for (int k = 0; k < sharers.Length; k++)
            {
                double[] p = [.. (k == changed ? changedOwn! : own[k]), .. ownerP];
                sum += references[k + 1].WeightedOutput(p, x[k + 1], Rows, w[k + 1]);
            }

            return sum;
        }

        double ownerScale = MeanAbs(ownerGradients);
        for (int i = 0; i < ownerGradients.Length; i++)
        {
            double expected = ReferenceNetwork.Derivative(q => Loss(q, -1, null), ownerParameters, i);
            AssertClose(expected, ownerGradients[i], ownerScale, $"{ownerName}[{i}]{(IsShared(sharers, i) ? " (shared)" : "")}");
        }

        for (int k = 0; k < sharers.Length; k++)
        {
            var gradients = Host(sharers[k].Gradients);
            double scale = MeanAbs(gradients);
            for (int i = 0; i < gradients.Length; i++)
            {
                int sharer = k;
                double expected = ReferenceNetwork.Derivative(q => Loss(ownerParameters, sharer, q), own[k], i);
                AssertClose(expected, gradients[i], scale, $"{sharers[k].Layout.Name}[{i}]");
            }
        }

        DisposeAll(sharers);
    }

    // Whichever network runs its backward pass first, the owner's summed gradients come out the same, bit for bit.
    [Fact]
    public void TheOrderOfTheBackwardPassesDoesNotMatter()
    {
        float[] Run(bool ownerFirst)
        {
            var (owner, sharers) = CreateFamily(nameof(SharedLastOwnerNet));
            using var _ = owner;
            Network[] all = ownerFirst ? [owner, .. sharers] : [.. sharers, owner];
            foreach (var n in all)
            {
                Input(n, n == owner ? 1UL : n is SharedLastNet ? 2UL : 3UL);
                n.Forward(Rows);
                _backend.Upload(Upstream(n, 9), n.OutputGradient(Rows));
                n.Backward(Rows);
            }

            foreach (var s in sharers)
            {
                s.AddSharedGradientsToOwner();
            }

            var result = Host(owner.Gradients);
            DisposeAll(sharers);
            return result;
        }

        Assert.Equal(Run(ownerFirst: true), Run(ownerFirst: false));
    }

    // Adam's first step moves each parameter by lr * g / (|g| + eps): the shared ones by the summed gradient, once.
    [Fact]
    public void AnOptimizerOverTheNetworksUpdatesEachSharedParameterOnce()
    {
        var (owner, sharers) = CreateFamily(nameof(SharedLastOwnerNet));
        using var _ = owner;
        Network[] all = [owner, .. sharers];
        foreach (var n in all)
        {
            Input(n, (ulong)Array.IndexOf(all, n) + 1);
            n.Forward(Rows);
            _backend.Upload(Upstream(n, 4), n.OutputGradient(Rows));
            n.Backward(Rows);
        }

        var gradients = all.Select(n => Host(n.Gradients)).ToArray();
        foreach (var s in sharers)
        {
            var shadow = Host(s.SharedGradients);
            for (int i = 0; i < shadow.Length; i++)
            {
                gradients[0][s.Layout.SharedOffset + i] += shadow[i];
            }
        }

        var before = all.Select(n => n.GetParameters()).ToArray();
        const double lr = 0.01, eps = 1e-8;
        using var optimizer = Optimizer.Create(new AdamSettings(lr, epsilon: eps), all);
        optimizer.Step();
        for (int k = 0; k < all.Length; k++)
        {
            var after = all[k].GetParameters();
            for (int i = 0; i < after.Length; i++)
            {
                double g = gradients[k][i];
                double expected = before[k][i] - lr * g / (Math.Abs(g) + eps);
                Assert.True(Math.Abs(after[i] - expected) <= 1e-6 + 1e-5 * Math.Abs(expected), $"{all[k].Layout.Name}[{i}]: {after[i]}, expected {expected} (gradient {g})");
            }
        }

        DisposeAll(sharers);
    }

    [Fact]
    public void AnOptimizerHoldingOnlySomeOfTheNetworksIsRefused()
    {
        var (owner, sharers) = CreateFamily(nameof(SharedLastOwnerNet));
        using var _ = owner;
        var settings = new AdamSettings();
        var error = Assert.Throws<ArgumentException>(() => Optimizer.Create(settings, sharers[0]));
        Assert.Contains("SharedLastOwnerNet", error.Message);
        error = Assert.Throws<ArgumentException>(() => Optimizer.Create(settings, owner));
        Assert.Contains("SharedLastNet", error.Message);
        error = Assert.Throws<ArgumentException>(() => Optimizer.Create(settings, owner, sharers[0]));
        Assert.Contains("SharedNarrowNet", error.Message);

        // A sharer made after the optimizer is caught at its first step.
        using var optimizer = Optimizer.Create(settings, [owner, .. sharers]);
        using var late = new SharedNarrowNet(_backend, (SharedLastOwnerNet)owner, 5);
        Assert.Contains("SharedNarrowNet", Assert.Throws<InvalidOperationException>(() => optimizer.Step()).Message);
        DisposeAll(sharers);
    }

    [Fact]
    public void CheckpointsStoreASharedParameterOnceWithTheOwner()
    {
        var (owner, sharers) = CreateFamily(nameof(SharedLastOwnerNet));
        using var _ = owner;
        var tensors = new List<SafetensorsTensor>();
        NetworkTensors.Add(tensors, "owner", owner);
        NetworkTensors.Add(tensors, "a", sharers[0]);
        NetworkTensors.Add(tensors, "b", sharers[1]);
        Assert.Equal(owner.Layout.Parameters.Count, tensors.Count(t => t.Name.StartsWith("owner.", StringComparison.Ordinal) && !t.Name.Contains(".state.", StringComparison.Ordinal)));
        Assert.Equal(["a.W0", "a.b0"], tensors.Where(t => t.Name.StartsWith("a.", StringComparison.Ordinal) && !t.Name.Contains(".state.", StringComparison.Ordinal)).Select(t => t.Name));
        Assert.Equal(["b.W0", "b.b0", "b.W1", "b.b1"], tensors.Select(t => t.Name).Where(n => n.StartsWith("b.", StringComparison.Ordinal)));
        Assert.Equal(sharers[0].ParameterCount + owner.ParameterCount + sharers[1].ParameterCount, tensors.Where(t => !t.Name.Contains(".state.", StringComparison.Ordinal)).Sum(t => (long)t.ElementCount));

        // Read back into fresh networks: the sharer takes its own tensors, and the owner's carry the shared ones.
        string path = Path.Combine(Path.GetTempPath(), $"gandsl-shared-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafetensorsFile.Write(path, tensors);
            var file = SafetensorsFile.Read(path);
            using var owner2 = new SharedLastOwnerNet(_backend, 99);
            using var a2 = new SharedLastNet(_backend, owner2, 98);
            owner2.SetParameters(NetworkTensors.Read(file, "owner", owner2));
            a2.SetParameters(NetworkTensors.Read(file, "a", a2));
            Input(sharers[0], 3);
            Input(a2, 3);
            sharers[0].Forward(Rows);
            a2.Forward(Rows);
            Assert.Equal(Host(sharers[0].Output(Rows)), Host(a2.Output(Rows)));
        }
        finally
        {
            File.Delete(path);
        }

        DisposeAll(sharers);
    }

    [Fact]
    public void TheOwnerIsCheckedAtConstruction()
    {
        using var owner = new SharedOwnerNet(_backend, 1);
        Assert.Contains("SharedOwnerNet", Assert.Throws<ArgumentNullException>(() => new SharedFirstNet(_backend, null!, 2)).Message);
        using var other = new CpuBackend(1);
        Assert.Contains("same backend", Assert.Throws<ArgumentException>(() => new SharedFirstNet(other, owner, 2)).Message);

        // The owner's parameters are initialised once, by the owner: two sharers of one owner see the same ones.
        using var a = new SharedFirstNet(_backend, owner, 2);
        using var b = new SharedFirstNet(_backend, owner, 3);
        Input(a, 1);
        Input(b, 1);
        a.Forward(Rows);
        b.Forward(Rows);
        Assert.NotEqual(Host(a.Output(Rows)), Host(b.Output(Rows))); // their own last layers differ
        Assert.Equal(Host(a.Activation(3, Rows)), Host(b.Activation(3, Rows))); // the shared BatchNorm's output
        Assert.Equal(2, owner.Sharers.Count);
        Assert.Contains("SharedOwnerNet's parameters", a.MemorySummary());

        // BatchNorm's running statistics stay each network's own.
        var ownerState = owner.GetState();
        Assert.NotEqual(ownerState, a.GetState());
        Assert.Equal(a.GetState(), b.GetState());

        // A sharer of a disposed owner says so.
        var orphanOwner = new SharedOwnerNet(_backend, 4);
        using var orphan = new SharedFirstNet(_backend, orphanOwner, 5);
        orphanOwner.Dispose();
        Input(orphan, 1);
        Assert.Contains("disposed", Assert.Throws<ObjectDisposedException>(() => orphan.Forward(Rows)).Message);
        Assert.Throws<ObjectDisposedException>(() => new SharedFirstNet(_backend, orphanOwner, 6));
    }

    private (Network Owner, Network[] Sharers) CreateFamily(string ownerName)
    {
        if (ownerName == nameof(SharedOwnerNet))
        {
            var owner = new SharedOwnerNet(_backend, 3);
            return (owner, [new SharedFirstNet(_backend, owner, 4), new SharedThenNarrowNet(_backend, owner, 5)]);
        }

        var last = new SharedLastOwnerNet(_backend, 3);
        return (last, [new SharedLastNet(_backend, last, 4), new SharedNarrowNet(_backend, last, 5)]);
    }

    private static void DisposeAll(Network[] networks)
    {
        foreach (var n in networks)
        {
            n.Dispose();
        }
    }

    private static bool IsShared(Network[] sharers, int ownerIndex) =>
        sharers.Any(s => ownerIndex >= s.Layout.SharedOffset && ownerIndex < s.Layout.SharedOffset + s.Layout.SharedParameterCount);

    // The sharer's layout with its parameters in one vector: its own, then all of the owner's (see Combined).
    private static NetworkLayout Resolved(NetworkLayout layout)
    {
        var parameters = layout.Parameters
            .Select(p => p.Shared ? p with { Offset = layout.ParameterCount + p.Offset, Shared = false } : p)
            .ToArray();
        return new NetworkLayout(layout.Name, [.. layout.Layers], parameters, [.. layout.Slots], "")
        {
            Heads = layout.Heads,
            HeadSumSlot = layout.HeadSumSlot,
            OutputSlot = layout.OutputSlot,
        };
    }

    private static double[] Combined(Network sharer, Network owner) => [.. ToDouble(sharer.GetParameters()), .. ToDouble(owner.GetParameters())];

    private float[] Input(Network net, ulong stream)
    {
        net.EnsureCapacity(Rows);
        var x = new float[Rows * net.InputFeatures];
        Philox.FillNormal(x, 11, stream, 0);
        _backend.Upload(x, net.Input(Rows));
        return x;
    }

    private static float[] Upstream(Network net, ulong stream)
    {
        var w = new float[Rows * net.OutputFeatures];
        Philox.FillUniform(w, -1f, 1f, 23, stream, 0);
        return w;
    }

    private float[] Host(Tensor t)
    {
        var values = new float[t.Length];
        _backend.Download(t, values);
        return values;
    }
}
