using System.Globalization;
using GanDsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator.Tests;

/// <summary>
/// Valid C# that a user may write, and models past GanDsl's limits: every network class gets code that compiles, or GAN
/// diagnostics alone; never an exception, a CS error from generated code, or a silently wrong size.
/// </summary>
public sealed class BadModelTests
{
    private const string Usings = "using GanDsl;\n";

    // The runtime's NetworkLimits (the generator compiles its own internal copy of the same file).
    private static readonly int MaxLayers = (int)typeof(InputAttribute).Assembly.GetType("GanDsl.NetworkLimits")!.GetField("MaxLayers")!.GetValue(null)!;

    // Code that makes and uses the network, so a missing or broken generated part shows as a CS error.
    private static string Use(string name) => $"\nstatic class Use {{ public static object Make(GanDsl.Backend b) => new {name}(b, 1); }}";

    [Theory]
    [InlineData("namespace @namespace;", "Net", "Net")]
    [InlineData("namespace @class.@var;", "@class", "@class")]
    [InlineData("", "@class", "@class")]
    [InlineData("namespace N;", "var", "var")]
    [InlineData("namespace N;", "record", "@record")]
    [InlineData("namespace N;", "dynamic", "dynamic")]
    [InlineData("namespace Ñandú.Δ;", "Réseau", "Réseau")]
    [InlineData("namespace N;", "Backend", "Backend")]
    [InlineData("namespace N;", "Tensor", "Tensor")]
    [InlineData("namespace System;", "Network", "Network")]
    public void NamesThatAreKeywordsOrUnusualCompile(string namespaceLine, string declared, string used)
    {
        string source = Usings + namespaceLine + $"\n[Input(1, 8, 8)] [Conv2D(4, 3, stride: 2), LeakyRelu] [BatchNorm] [Flatten] [Dense(3), Tanh] public partial class {declared};"
            + Use(used);
        var (result, output) = GeneratorHarness.Run(source);
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.GeneratedTrees);
        Assert.Empty(Errors(output));
        Assert.DoesNotMatch(@"(?m)^\s*var\s", result.GeneratedTrees[0].ToString());
    }

    [Theory]
    [InlineData("GAN0024", "[Input(3)] [Dense(2)] public partial record [|Net|];")]
    [InlineData("GAN0024", "[Input(3)] [Dense(2)] public partial record class [|Net|];")]
    [InlineData("GAN0025", "[Input(3)] [Dense(2)] public partial class Net[|(int x)|];")]
    [InlineData("GAN0026", "[Input(1, 8, 8)] [[|Conv2D(2, 3, 1, (Padding)7)|]] public partial class Net;")]
    [InlineData("GAN0026", "[Input(1, 8, 8)] [[|ConvTranspose2D(2, 3, 1, (Padding)(-1))|]] public partial class Net;")]
    [InlineData("GAN0027", "[[|Input(3, 100000, 100000)|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0027", "[[|Input(1, 65536, 65537)|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0027", "[[|Input(1, 65536, 65536)|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0027", "[[|Input(20000000)|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0027", "[Input(3)] [[|Dense(16777217)|]] public partial class Net;")]
    [InlineData("GAN0027", "[Input(100000)] [[|Dense(100000)|]] public partial class Net;")]
    [InlineData("GAN0027", "[Input(1, 8, 8)] [[|Conv2D(2, 2000)|]] public partial class Net;")]
    [InlineData("GAN0027", "[Input(1, 8, 8)] [[|Conv2D(2, 3, stride: 5000)|]] public partial class Net;")]
    [InlineData("GAN0027", "[Input(1, 8, 8)] [[|ConvTranspose2D(2, 3, OutputSize = 70000)|]] public partial class Net;")]
    [InlineData("GAN0027", "[Input(1, 4096, 4096)] [[|ConvTranspose2D(4, 3, stride: 16)|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0027", "[Input(64, 512, 512)] [[|Conv2D(256, 3)|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0027", "[Input(3)] [[|Condition(100000, 100000)|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0015", "[Input(1, 256, 256)] [Conv2D(1, 1)] [[|Reshape(65537, 65536, 1)|]] [Flatten] [Dense(1)] public partial class Net;")]
    public void ReportsTheNewDiagnosticsAtTheOffendingSyntax(string id, string markup)
    {
        var (source, span) = Markup.Parse(Usings + markup);
        var (result, output) = GeneratorHarness.Run(source + Use("Net"));
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Contains("Net", diagnostic.GetMessage(CultureInfo.InvariantCulture));

        // Only the GAN diagnostic: the placeholder keeps `new Net(b, 1)` compiling (a record or a primary constructor cannot take one).
        var errors = Errors(output);
        if (id is "GAN0024" or "GAN0025")
        {
            Assert.All(errors, e => Assert.Equal("Source0.cs", e.Location.SourceTree?.FilePath));
        }
        else
        {
            Assert.Empty(errors);
        }
    }

    [Theory]
    [InlineData("public partial class Net { public int [|W0|]; }", "the generated part declares too")]
    [InlineData("public partial class Net { public void [|StageNotThere|]() { } public float[] [|b1|] = []; }", "the generated part declares too")]
    [InlineData("public partial class Net { public int [|Backend|] => 1; }", "hides GanDsl.Network.Backend")]
    [InlineData("public partial class Net { private static int [|Activation|](int a, int b) => a; }", "hides GanDsl.Network.Activation")]
    [InlineData("public partial class Net { public [|Net|](GanDsl.Backend b, ulong s) { } }", "is the constructor (Backend, ulong)")]
    [InlineData("public partial class Net { protected override void [|ForwardCore|](int rows) { } }", "the generated part declares too")]
    public void MembersThatCollideWithTheGeneratedPartAreGan0029(string declaration, string why)
    {
        // (b1 exists: Dense(4) then Dense(2) has W0, b0, W1, b1; StageNotThere does not, so only b1 is reported there.)
        var (source, span) = Markup.Parse(Usings + "[Input(3)] [Dense(4), Relu] [Dense(2)] " + declaration.Replace("[|StageNotThere|]", "StageNotThere", StringComparison.Ordinal));
        var (result, output) = GeneratorHarness.Run(source);
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("GAN0029", diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Contains(why, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.DoesNotContain(Errors(output), e => e.Location.SourceTree is { } tree && result.GeneratedTrees.Contains(tree));
    }

    [Fact]
    public void MembersOfTheUsersOwnCompileBesideTheGeneratedPart()
    {
        var (result, output) = GeneratorHarness.Run(Usings + "[Input(3)] [Dense(2)] public partial class Net { public int Extra => W0.Length; public override string ToString() => \"net\"; public Net(GanDsl.Backend b) : this(b, 7) { } }" + Use("Net"));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(Errors(output));
    }

    // An activation after a residual sum has no layer of its own; the message names the layers it may follow, and the
    // one it follows.
    [Fact]
    public void AnActivationAfterAnAddSaysWhereItMayGo()
    {
        string message = Assert.Single(GeneratorHarness.Diagnostics(Usings + "[Input(2, 4, 4)] [Conv2D(2, 3)] [Save(\"r\")] [Conv2D(2, 3)] [Add(\"r\")] [Relu] [Flatten] [Dense(1)] public partial class Net;"))
            .GetMessage(CultureInfo.InvariantCulture);
        Assert.Contains("put it right after a Dense, Conv2D, ConvTranspose2D, BatchNorm or InstanceNorm layer (it follows Add(\"r\"))", message);
    }

    [Fact]
    public void SizeMessagesSayTheValueAndTheLimit()
    {
        string message = Assert.Single(GeneratorHarness.Diagnostics(Usings + "[Input(1, 65536, 65536)] [Dense(2)] public partial class Net;"))
            .GetMessage(CultureInfo.InvariantCulture);
        Assert.Contains("4,294,967,296 values a sample", message);
        Assert.Contains("16,777,216", message);
    }

    [Fact]
    public void ANetworkWithGanErrorsGetsAPlaceholderSoOnlyThoseShow()
    {
        string source = Usings + "namespace N;\n[Input(3)] [Dense(0)] public partial class Net;" + Use("Net");
        var (result, output) = GeneratorHarness.Run(source);
        Assert.Equal("GAN0005", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(Errors(output));
        Assert.Contains("not generated", Assert.Single(result.GeneratedTrees).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ThousandsOfLayersAreOneDiagnosticNotThirtySixMegabytes()
    {
        string layers = string.Concat(Enumerable.Repeat("[Dense(4)] ", MaxLayers + 1));
        var (source, span) = Markup.Parse(Usings + $"[Input(4)] {layers} public partial class [|Deep|];");
        var (result, output) = GeneratorHarness.Run(source + Use("Deep"));
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("GAN0028", diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Empty(Errors(output));
    }

    [Fact]
    public void TheDeepestNetworkAllowedCompiles()
    {
        // The limit is one the generated code meets: MaxLayers layers (Dense and activation pairs) compile without error.
        string layers = string.Concat(Enumerable.Repeat("[Dense(4), LeakyRelu] ", (MaxLayers - 1) / 2));
        var (result, output) = GeneratorHarness.Run(Usings + $"[Input(4)] {layers} public partial class Deep;" + Use("Deep"));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(Errors(output));
    }

    private static List<Diagnostic> Errors(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
}
