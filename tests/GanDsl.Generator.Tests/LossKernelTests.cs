using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The loss kernels the generator writes into the runtime (every LossMath formula as a C# loop and a CUDA kernel),
/// against a checked-in baseline, and only for the class the runtime marks.
/// </summary>
public sealed class LossKernelTests
{
    // What GanDsl.Runtime declares (its attribute is internal there, so the test declares its own of the same name).
    private const string Marked = """
        namespace GanDsl.Backends
        {
            [System.AttributeUsage(System.AttributeTargets.Class)]
            internal sealed class GenerateLossKernelsAttribute : System.Attribute { }

            [GenerateLossKernels]
            internal static partial class LossKernels { }
        }
        """;

    [Fact]
    public void GeneratedLossKernelsMatchBaseline()
    {
        var generated = Run(Marked).Single();
        Assert.Equal("GanDsl.Backends.LossKernels.g.cs", generated.HintName);
        string text = generated.SourceText.ToString();
        string baselinePath = Path.Combine(RepositoryFiles.Root, "tests", "GanDsl.Generator.Tests", "Baselines", "GanDsl.Backends.LossKernels.g.cs.txt");
        if (Environment.GetEnvironmentVariable("GANDSL_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(baselinePath, text);
        }

        Assert.True(File.Exists(baselinePath), $"No baseline at {baselinePath}; run the tests once with GANDSL_UPDATE_BASELINES=1.");
        Assert.Equal(File.ReadAllText(baselinePath).ReplaceLineEndings("\n"), text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void EveryLossHasOneCudaKernelAndOneCpuLoop()
    {
        string text = Run(Marked).Single().SourceText.ToString();
        var kinds = LossMath.All.Select(f => f.Kind.ToString()).ToArray();
        Assert.Equal(10, kinds.Length);
        foreach (string kind in kinds)
        {
            Assert.Contains($"private static void {kind}(in global::GanDsl.Backends.LossKernelArgs a,", text);
            Assert.Contains($"case global::GanDsl.Backends.LossKind.{kind}:", text);
        }

        // One kernel per elementwise loss, and softmax cross-entropy's.
        Assert.Equal(kinds.Length + 1, text.Split("extern \"C\" __global__ void gandsl_loss_").Length - 1);
        Assert.Contains("public static void SoftmaxCrossEntropy(in global::GanDsl.Backends.LossKernelArgs a,", text);
        Assert.Contains("extern \"C\" __global__ void gandsl_loss_softmax_cross_entropy(", text);
    }

    [Fact]
    public void NetworksAloneGetNoLossKernels()
    {
        Assert.Empty(Run("using GanDsl;\n[Input(4)] [Dense(1)] partial class Tiny;"));
    }

    private static IEnumerable<GeneratedSourceResult> Run(string source)
    {
        var compilation = GeneratorHarness.Compile(source);
        var driver = CSharpGeneratorDriver.Create(new LossKernelGenerator()).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result.GeneratedSources;
    }
}
