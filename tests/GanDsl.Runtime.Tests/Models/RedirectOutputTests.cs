using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Models;

/// <summary>
/// <see cref="Network.RedirectOutput"/>: the forward pass writes into the given tensor (the trainer hands the
/// generator the discriminator's input rows) and the backward pass reads it there, with the same results.
/// </summary>
public sealed class RedirectOutputTests
{
    [Fact]
    public void ForwardWritesIntoTheTensorAndBackwardGivesTheSameGradients()
    {
        const int rows = 9;
        using var backend = new CpuBackend(2);
        using var plain = new SeedGenerator(backend, 4);
        using var redirected = new SeedGenerator(backend, 4);
        using var target = backend.Allocate(3 + (rows + 2) * 784);
        var outside = target.View(3, rows + 2, 784);
        var upstream = Enumerable.Range(0, rows * 784).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        foreach (var net in new[] { plain, redirected })
        {
            net.EnsureCapacity(rows);
            backend.RandomNormal(net.Input(rows), 5, 0, 0);
        }

        redirected.RedirectOutput(outside);
        foreach (var net in new[] { plain, redirected })
        {
            net.Forward(rows);
            backend.Upload(upstream, net.OutputGradient(rows));
            net.Backward(rows, inputGradient: true);
        }

        Assert.Equal(outside.Slice(0, rows), redirected.Output(rows));
        Assert.Equal(plain.Output(rows).Span.ToArray(), outside.Slice(0, rows).Span.ToArray());
        Assert.Equal(plain.Gradients.Span.ToArray(), redirected.Gradients.Span.ToArray());
        Assert.Equal(plain.InputGradient(rows).Span.ToArray(), redirected.InputGradient(rows).Span.ToArray());

        // Back to its own memory: the redirected tensor is left alone.
        var written = outside.Span.ToArray();
        redirected.RedirectOutput(default);
        redirected.Forward(rows);
        Assert.NotEqual(outside.Slice(0, rows), redirected.Output(rows));
        Assert.Equal(written, outside.Span.ToArray());
    }

    [Fact]
    public void ATensorOfTheWrongWidthBackendOrSizeIsRefused()
    {
        using var backend = new CpuBackend(2);
        using var other = new CpuBackend(1);
        using var net = new SeedGenerator(backend, 4);
        net.EnsureCapacity(16);
        using var buffer = backend.Allocate(16 * 784);
        using var elsewhere = other.Allocate(16 * 784);
        Assert.Contains("(rows, 784)", Assert.Throws<ArgumentException>(() => net.RedirectOutput(buffer.View(0, 16, 100))).Message);
        Assert.Contains("backend", Assert.Throws<ArgumentException>(() => net.RedirectOutput(elsewhere.View(0, 16, 784))).Message);

        net.RedirectOutput(buffer.View(0, 8, 784));
        var error = Assert.Throws<InvalidOperationException>(() => net.Forward(16));
        Assert.Contains("8 rows", error.Message);
    }
}
