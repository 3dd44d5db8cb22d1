using System.Globalization;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>
/// [SharedWith] and [EndShared]: the generated sharing network (its constructor, its parameters in the owner's buffer),
/// and the code that makes it still compiling when the sharing has errors (the placeholder takes the owner too).
/// </summary>
public sealed class SharedLayerTests
{
    private const string Usings = "using GanDsl;\n";
    private const string Owner = "[Input(4)] [Dense(4), Relu] [Dense(4), Relu] [Dense(1)] public partial class A;\n";

    // Code that makes both networks, so a missing or broken constructor shows as a CS error.
    private const string Use = "\nstatic class Use { public static object Make(GanDsl.Backend b) => new Net(b, new A(b, 1), 2); }";

    [Fact]
    public void LayerSaysWhichRunWhenTheOwnerRepeatsIt()
    {
        var (result, output) = GeneratorHarness.Run(Usings + Owner
            + "[Input(4)] [SharedWith(typeof(A), Layer = 3)] [Dense(4), Relu] [EndShared] [Dense(2)] public partial class Net;" + Use);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string net = result.GeneratedTrees.Single(t => t.FilePath.EndsWith("Net.g.cs", StringComparison.Ordinal)).ToString();

        // A's second Dense(4) starts after the first one's 16 weights and 4 biases; Net's own Dense(2) starts its buffer.
        Assert.Contains("new(\"W0\", global::GanDsl.ParameterKind.Weight, 4, 4, 20, 4, new[] { 4, 4 }) { Shared = true },", net);
        Assert.Contains("new(\"b0\", global::GanDsl.ParameterKind.Bias, 1, 4, 36, 4, new[] { 4 }) { Shared = true },", net);
        Assert.Contains("new(\"W1\", global::GanDsl.ParameterKind.Weight, 2, 4, 0, 4, new[] { 2, 4 }),", net);
        Assert.Contains("SharedWith = \"A\",", net);
        Assert.Contains("public Net(global::GanDsl.Backend backend, global::A sharedWith, ulong seed = 0)", net);
        Assert.Contains("Total params: 10 (0.0 KiB as float32); 20 more shared with A", net);
        Assert.Contains("20 shared", net);
    }

    [Theory]
    [InlineData("[Input(4)] [SharedWith(typeof(A))] [Dense(4), Relu] [EndShared] [Dense(2)] public partial class Net;", "GAN0043")]
    [InlineData("[Input(4)] [SharedWith(typeof(A), Layer = 1)] [Dense(4), Tanh] [EndShared] [Dense(2)] public partial class Net;", "GAN0041")]
    [InlineData("[Input(4)] [SharedWith(typeof(Net))] [Dense(4)] [EndShared] [Dense(2)] public partial class Net;", "GAN0040")]
    [InlineData("[Input(4)] [SharedWith(typeof(A))] [Dense(0)] [EndShared] [Dense(2)] public partial class Net;", "GAN0005")]
    public void ANetworkWhoseSharingHasErrorsStillTakesItsOwner(string net, string id)
    {
        // Only the GAN diagnostic: the placeholder's constructor takes the owner, so `new Net(b, new A(b, 1), 2)` compiles.
        bool self = net.Contains("typeof(Net)", StringComparison.Ordinal);
        string use = self ? "\nstatic class Use { public static object Make(GanDsl.Backend b) => new Net(b, null!, 2); }" : Use;
        var (result, output) = GeneratorHarness.Run(Usings + Owner + net + use);
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.Equal(id, Assert.Single(result.Diagnostics).Id);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("GAN", StringComparison.Ordinal)));
    }

    [Fact]
    public void AnOwnerWithErrorsStopsTheSharingWithoutAnException()
    {
        var (result, _) = GeneratorHarness.Run(Usings
            + "[Input(4)] [Dense(0)] [Dense(1)] public partial class A;\n"
            + "[Input(4)] [SharedWith(typeof(A))] [Dense(0)] [EndShared] [Dense(2)] public partial class Net;\n"
            + "[Input(4)] [SharedWith(typeof(A))] [Dense(4)] [EndShared] [Dense(2)] public partial class Other;");
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        var other = Assert.Single(result.Diagnostics, d => d.GetMessage(CultureInfo.InvariantCulture).Contains("'Other'", StringComparison.Ordinal));
        Assert.Equal("GAN0042", other.Id);
        Assert.Contains("'A' has GanDsl errors of its own", other.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AUserConstructorWithTheGeneratedSignatureIsGan0029()
    {
        var (result, _) = GeneratorHarness.Run(Usings + Owner
            + "[Input(4)] [SharedWith(typeof(A), Layer = 1)] [Dense(4), Relu] [EndShared] [Dense(2)] public partial class Net { public Net(GanDsl.Backend b, A a, ulong s) { } }");
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("GAN0029", diagnostic.Id);
        Assert.Contains("(Backend, A, ulong)", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }
}
