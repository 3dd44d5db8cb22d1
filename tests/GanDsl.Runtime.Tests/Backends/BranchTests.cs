using GanDsl.Backends;
using GanDsl.Backends.Cpu;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Backends;

/// <summary>
/// Side branches (<see cref="Backend.BeginBranch"/>) on the CPU, where they run in place: the rules every backend
/// enforces the same way (no nesting, no ending what was not begun, no waiting for the device inside one), and a
/// network's backward pass, which puts weight-gradient GEMMs on branches, leaving none open.
/// </summary>
public sealed class BranchTests
{
    private readonly CpuBackend _backend = new(1);

    [Fact]
    public void BranchesCannotNestOrEndUnopened()
    {
        Assert.False(_backend.InBranch);
        var e = Assert.Throws<InvalidOperationException>(_backend.EndBranch);
        Assert.Contains("No side branch is open", e.Message);

        _backend.BeginBranch();
        Assert.True(_backend.InBranch);
        e = Assert.Throws<InvalidOperationException>(_backend.BeginBranch);
        Assert.Contains("already open", e.Message);
        _backend.EndBranch();
        Assert.False(_backend.InBranch);
        _backend.JoinBranches();
        _backend.JoinBranches(); // nothing pending: nothing to do
    }

    [Fact]
    public void NothingWaitsForTheDeviceInsideABranch()
    {
        var t = _backend.Allocate(4).View(0, 1, 4);
        var host = new float[4];
        _backend.BeginBranch();
        Assert.Contains("Download cannot run inside a side branch", Assert.Throws<InvalidOperationException>(() => _backend.Download(t, host)).Message);
        Assert.Contains("Upload cannot run inside a side branch", Assert.Throws<InvalidOperationException>(() => _backend.Upload(host, t)).Message);
        Assert.Contains("Synchronize cannot run inside a side branch", Assert.Throws<InvalidOperationException>(_backend.Synchronize).Message);
        Assert.Contains("JoinBranches cannot run inside a side branch", Assert.Throws<InvalidOperationException>(_backend.JoinBranches).Message);
        _backend.EndBranch();
    }

    [Fact]
    public void OnTheCpuBranchWorkRunsInPlace()
    {
        var a = _backend.Allocate(6).View(0, 2, 3);
        var b = _backend.Allocate(6).View(0, 3, 2);
        var c = _backend.Allocate(4).View(0, 2, 2);
        _backend.Upload([1, 2, 3, 4, 5, 6], a);
        _backend.Upload([1, 0, 0, 1, 1, 1], b);
        _backend.BeginBranch();
        _backend.Gemm(a, false, b, false, c);
        _backend.EndBranch();
        Assert.Equal([4f, 5f, 10f, 11f], c.Span.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BackwardClosesAndJoinsItsBranches(bool fused)
    {
        // Network.Backward joins after the generated pass, which fails if the pass left a branch open.
        using var g = new SeedGenerator(_backend, 3);
        using var d = new SeedDiscriminator(_backend, 4);
        foreach (var network in new Network[] { g, d })
        {
            network.FuseKernels = fused;
            network.EnsureCapacity(8);
            _backend.Fill(network.Input(8), 0.5f);
            network.Forward(8);
            _backend.Fill(network.OutputGradient(8), 0.25f);
            network.Backward(8, inputGradient: true);
            Assert.False(_backend.InBranch);
        }
    }
}
