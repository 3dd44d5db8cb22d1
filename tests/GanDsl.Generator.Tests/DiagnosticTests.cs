using GanDsl.Generator;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>Every diagnostic the generator reports, by id and by the exact span it points at.</summary>
public sealed class DiagnosticTests
{
    private const string Usings = "using GanDsl;\n";

    [Theory]
    [InlineData("GAN0001", "[Input(10)] [Dense(5)] public class [|Net|] { }")]
    [InlineData("GAN0002", "[Dense(5), Relu] public partial class [|Net|];")]
    [InlineData("GAN0003", "[Dense(5)] [[|Input(3)|]] public partial class Net;")]
    [InlineData("GAN0004", "[Input(3)] [[|Relu|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(3)] [Dense(4), Relu, [|Tanh|]] public partial class Net;")]
    [InlineData("GAN0005", "[Input(3)] [[|Dense(0)|]] public partial class Net;")]
    [InlineData("GAN0005", "[[|Input(-2)|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0007", "public partial class Outer { [Input(3)] [Dense(2)] public partial class [|Inner|]; }")]
    [InlineData("GAN0008", "[Input(3)] [Dense(2)] public partial class [|Net|]<T>;")]
    [InlineData("GAN0009", "[Input(3)] [Dense(2), [|LeakyRelu(-0.1f)|]] public partial class Net;")]
    [InlineData("GAN0030", "[Input(3)] [Dense(2), [|Elu(-1f)|]] public partial class Net;")]
    [InlineData("GAN0030", "[Input(3)] [Dense(2), [|Elu(float.NaN)|]] public partial class Net;")]
    [InlineData("GAN0010", "[Input(3)] public partial class [|Net|];")]
    [InlineData("GAN0011", "public class Base { } [Input(3)] [Dense(2)] public partial class Net : [|Base|];")]
    [InlineData("GAN0012", "[Input(3)] [Dense(2)] public static partial class [|Net|];")]
    [InlineData("GAN0013", "public sealed class WeirdAttribute : LayerAttribute { } [Input(3)] [Dense(2), [|Weird|]] public partial class Net;")]
    [InlineData("GAN0014", "[Input(1, 8, 8)] [Conv2D(4, 3)] [[|Dense(2)|]] public partial class Net;")]
    [InlineData("GAN0015", "[Input(10)] [Dense(12)] [[|Reshape(2, 3, 3)|]] public partial class Net;")]
    [InlineData("GAN0016", "[Input(1, 7, 7)] [[|ConvTranspose2D(2, 3, stride: 2, OutputSize = 20)|]] public partial class Net;")]
    [InlineData("GAN0017", "[Input(16)] [[|Conv2D(4, 3)|]] public partial class Net;")]
    [InlineData("GAN0017", "[Input(16)] [[|Upsample|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0005", "[Input(1, 4, 4)] [[|Upsample(0)|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0027", "[Input(1, 4, 4)] [[|Upsample(2000)|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0027", "[Input(1, 4000, 4000)] [[|Upsample(20)|]] [Conv2D(1, 3)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(1, 4, 4)] [Upsample, [|Relu|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0018", "[Input(5)] [Dense(4)] [[|Condition(10, 3)|]] public partial class Net;")]
    [InlineData("GAN0019", "[Input(5)] [Dense(4)] [[|Dropout(1f)|]] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(5)] [Dense(4), [|Tanh|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(5)] [Dense(4)] [[|BatchNorm|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(5)] [Dense(4), [|Elu|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(5)] [Dense(4), [|Selu|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0021", "[Input(1, 3, 3)] [[|Conv2D(2, 5, padding: Padding.Valid)|]] public partial class Net;")]
    [InlineData("GAN0022", "[Input(5)] [Dense(4)] [[|BatchNorm(1.5f)|]] public partial class Net;")]
    [InlineData("GAN0023", "[[|Initialization((WeightInit)7)|]] [Input(5)] [Dense(4)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(1, 4, 4)] [Reshape(4, 2, 2)] [[|Relu|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0018", "[Input(5)] [Dense(4)] [[|ConditionMultiply(10)|]] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(5)] [Dense(4)] [[|PRelu|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(5)] [Dense(4)] [PRelu, [|Relu|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0017", "[Input(5)] [Dense(4)] [[|InstanceNorm|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0036", "[Input(5)] [Dense(4)] [[|Add(\"x\")|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0036", "[Input(5)] [Dense(4)] [[|Concat(\"x\")|]] [Save(\"x\")] public partial class Net;")]
    [InlineData("GAN0037", "[Input(5)] [Dense(4)] [Save(\"x\")] [Dense(4)] [[|Save(\"x\")|]] [Add(\"x\")] public partial class Net;")]
    [InlineData("GAN0037", "[Input(5)] [Dense(4)] [Save(\"x\")] [Dense(4)] [Add(\"x\")] [[|Add(\"x\")|]] public partial class Net;")]
    [InlineData("GAN0038", "[Input(5)] [Dense(4)] [Save(\"x\")] [Dense(3)] [[|Add(\"x\")|]] public partial class Net;")]
    [InlineData("GAN0038", "[Input(1, 4, 4)] [Conv2D(2, 3)] [Save(\"x\")] [Conv2D(2, 3, stride: 2)] [[|Concat(\"x\")|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0039", "[Input(5)] [[|Save(\"x\")|]] [Dense(5)] [Add(\"x\")] public partial class Net;")]
    [InlineData("GAN0039", "[GradientPenalty] [Input(5)] [Dense(5)] [[|Save(\"x\")|]] [Dense(5)] [Add(\"x\")] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0039", "[Input(5)] [Dense(5)] [[|Save(\"x\")|]] [Dense(5)] [Add(\"x\")] [Head(\"a\")] [Dense(1)] [Head(\"b\")] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0031", "[Input(5)] [Dense(5)] [[|Save(\"a b\")|]] [Dense(5)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(5)] [Dense(5)] [Save(\"x\")] [Dense(5)] [Add(\"x\"), [|Relu|]] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(1, 4, 4)] [Conv2D(2, 3)] [[|InstanceNorm|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0022", "[Input(1, 4, 4)] [Conv2D(2, 3)] [[|InstanceNorm(epsilon: 0f)|]] [Flatten] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0020", "[GradientPenalty] [Input(5)] [[|ConditionMultiply(3)|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0005", "[Input(5)] [[|ConditionMultiply(0)|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0031", "[Input(3)] [Dense(4)] [[|Head(\"1x\")|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0031", "[Input(3)] [Dense(4)] [[|Head(\"\")|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0031", "[Input(3)] [Dense(4)] [[|Head(null)|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0031", "[Input(3)] [Dense(4)] [[|Head(\"a b\")|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0032", "[Input(3)] [Dense(4)] [[|Head(\"a\")|]] [Head(\"b\")] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0032", "[Input(3)] [Dense(4)] [Head(\"a\")] [Dense(1)] [[|Head(\"b\")|]] public partial class Net;")]
    [InlineData("GAN0032", "[Input(1, 2, 2)] [Conv2D(2, 1)] [Head(\"a\")] [Flatten] [Dense(1)] [[|Head(\"b\")|]] [Flatten] public partial class Net;")]
    [InlineData("GAN0033", "[Input(3)] [Dense(4)] [Head(\"a\")] [Dense(1)] [[|Head(\"a\")|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0034", "[Input(3)] [[|Head(\"a\")|]] [Dense(1)] [Head(\"b\")] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0034", "[Input(1, 2, 2)] [Flatten] [[|Head(\"a\")|]] [Dense(1)] [Head(\"b\")] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0035", "[GradientPenalty] [Input(5)] [Dense(4)] [[|Head(\"a\")|]] [Dense(1)] [Head(\"b\")] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(3)] [Dense(4)] [Head(\"a\"), [|Relu|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0018", "[Input(3)] [Dense(4)] [Head(\"a\")] [[|Condition(10, 3)|]] public partial class Net;")]
    [InlineData("GAN0014", "[Input(1, 4, 4)] [Conv2D(2, 3)] [Head(\"a\")] [Flatten] [Dense(1)] [Head(\"b\")] [[|Dense(2)|]] public partial class Net;")]
    [InlineData("GAN0040", "[Input(5)] [Dense(4)] [[|SharedWith(typeof(string))|]] [Dense(3)] public partial class Net;")]
    [InlineData("GAN0040", "[Input(5)] [[|SharedWith(typeof(Net))|]] [Dense(4)] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0040", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [SharedWith(typeof(A))] [Dense(4), Relu] [EndShared] [Dense(2)] public partial class B; [Input(5)] [[|SharedWith(typeof(B))|]] [Dense(4), Relu] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0041", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [[|SharedWith(typeof(A))|]] [Dense(4), Tanh] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0041", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(6)] [[|SharedWith(typeof(A))|]] [Dense(4), Relu] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0041", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [[|SharedWith(typeof(A), Layer = 2)|]] [Dense(4), Relu] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0041", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [[|SharedWith(typeof(A), Layer = 9)|]] [Dense(4), Relu] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0041", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [Dense(3)] [[|SharedWith(typeof(A))|]] [Dense(3)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4)] [[|EndShared|]] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [Dense(4)] [[|EndShared|]] [SharedWith(typeof(A))] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [Dense(4)] [[|SharedWith(typeof(A))|]] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4)] [Dropout(0.5f)] [Dense(1)] public partial class A; [Input(5)] [Dense(4)] [[|SharedWith(typeof(A))|]] [Dropout(0.5f)] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [[|SharedWith(typeof(A))|]] [Dense(4), Relu] [Dense(3)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [GradientPenalty] [Input(5)] [[|SharedWith(typeof(A))|]] [Dense(4), Relu] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0042", "[Input(5)] [Dense(4)] [Head(\"a\")] [Dense(1)] [Head(\"b\")] [Dense(2)] public partial class A; [Input(5)] [Dense(4)] [SharedWith(typeof(A))] [Dense(1)] [[|Head(\"b\")|]] [Dense(2)] public partial class Net;")]
    [InlineData("GAN0043", "[Input(4)] [Dense(4), Relu] [Dense(4), Relu] [Dense(1)] public partial class A; [Input(4)] [[|SharedWith(typeof(A))|]] [Dense(4), Relu] [EndShared] [Dense(1)] public partial class Net;")]
    [InlineData("GAN0004", "[Input(5)] [Dense(4), Relu] [Dense(3)] public partial class A; [Input(5)] [Dense(3)] [SharedWith(typeof(A))] [[|Relu|]] [Dense(1)] public partial class Net;")]
    public void ReportsDiagnosticAtTheOffendingSyntax(string id, string markup)
    {
        var (source, span) = Markup.Parse(Usings + markup);
        var diagnostic = Assert.Single(GeneratorHarness.Diagnostics(source));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal("Source0.cs", diagnostic.Location.SourceTree?.FilePath ?? diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("Net", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ReachableOutputSizesAreAccepted()
    {
        // From 7 with kernel 3, stride 2: natural 14 (same), 15 (valid); 13..16 are reachable.
        foreach (int size in new[] { 13, 14, 15, 16 })
        {
            Assert.Empty(GeneratorHarness.Diagnostics(Usings + $"[Input(1, 7, 7)] [ConvTranspose2D(2, 3, stride: 2, OutputSize = {size})] public partial class Net;"));
        }

        var message = Assert.Single(GeneratorHarness.Diagnostics(Usings + "[Input(1, 7, 7)] [ConvTranspose2D(2, 3, stride: 2, OutputSize = 17)] public partial class Net;"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("17x17 from 7x7", message);
    }

    [Fact]
    public void TheTensorFlowDcganTutorialModelsAreValid()
    {
        var (result, output) = GeneratorHarness.Run(Usings + """
            [Input(100)]
            [Dense(7 * 7 * 256, Bias = false), BatchNorm, LeakyRelu]
            [Reshape(256, 7, 7)]
            [ConvTranspose2D(128, 5, stride: 1, Bias = false), BatchNorm, LeakyRelu]
            [ConvTranspose2D(64, 5, stride: 2, Bias = false), BatchNorm, LeakyRelu]
            [ConvTranspose2D(1, 5, stride: 2, Bias = false), Tanh]
            public partial class G;

            [Input(1, 28, 28)]
            [Conv2D(64, 5, stride: 2), LeakyRelu]
            [Dropout(0.3f)]
            [Conv2D(128, 5, stride: 2), LeakyRelu]
            [Dropout(0.3f)]
            [Flatten]
            [Dense(1)]
            public partial class D;
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string g = result.GeneratedTrees.Single(t => t.FilePath.EndsWith("G.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Contains("(batch, 1, 28, 28)", g);
    }

    [Fact]
    public void LayersSplitOverPartialDeclarationsPointAtTheSecondDeclaration()
    {
        var (second, span) = Markup.Parse(Usings + "[[|Dense(2)|]] public partial class Net;");
        var diagnostic = Assert.Single(GeneratorHarness.Diagnostics(Usings + "[Input(3)] public partial class Net;", second));
        Assert.Equal("GAN0006", diagnostic.Id);
        Assert.Equal("Source1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void PartialDeclarationWithoutLayersIsFine()
    {
        var (result, output) = GeneratorHarness.Run(
            Usings + "[Input(3)] [Dense(2), Tanh] public partial class Net;",
            "public partial class Net { public int Extra => 1; }");
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.GeneratedTrees);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void ReportsEveryProblemOfANetworkAtOnce()
    {
        var diagnostics = GeneratorHarness.Diagnostics(Usings + "[Input(0)] [Dense(-1), LeakyRelu(-1f)] public class Net { }");
        Assert.Equal(new[] { "GAN0001", "GAN0005", "GAN0005", "GAN0009" }, diagnostics.Select(d => d.Id).OrderBy(i => i));
    }

    [Fact]
    public void AttributeThatDoesNotBindAddsNoDiagnosticOfItsOwn()
    {
        // Dense("x") is the compiler's error (CS1503); the generator stays quiet instead of piling on.
        var diagnostics = GeneratorHarness.Diagnostics(Usings + "[Input(3)] [Dense(\"x\")] public partial class Net;");
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void ClassesWithoutLayerAttributesAreIgnored()
    {
        var (result, _) = GeneratorHarness.Run("[System.Serializable] public partial class Plain;");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void AnInternalFailureBecomesGan0099InsteadOfAnException()
    {
        var (source, span) = Markup.Parse(Usings + "[Input(3)] [Dense(2)] public partial class [|Boom|];");
        // Other tests run in parallel: fail only for this test's class name.
        NetworkGenerator.Parser.OnParse = name =>
        {
            if (name == "Boom")
            {
                throw new InvalidOperationException("injected for " + name);
            }
        };
        try
        {
            var diagnostic = Assert.Single(GeneratorHarness.Diagnostics(source));
            Assert.Equal("GAN0099", diagnostic.Id);
            Assert.Equal(span, diagnostic.Location.SourceSpan);
            Assert.Contains("injected for Boom", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            NetworkGenerator.Parser.OnParse = null;
        }
    }
}
