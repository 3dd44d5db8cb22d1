using GanDsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator.Tests;

/// <summary>The pipeline caches: an unrelated edit must not re-plan or re-emit a network.</summary>
public sealed class IncrementalTests
{
    private const string Models = """
        using GanDsl;
        [Input(100)] [Dense(256), LeakyRelu(0.2f)] [Dense(784), Tanh] public partial class G;
        [Input(784)] [Dense(100), LeakyRelu(0.2f)] [Dense(1)] public partial class D;
        """;

    [Fact]
    public void UnrelatedEditLeavesModelStepsCached()
    {
        var compilation = GeneratorHarness.Compile(Models);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public class Unrelated { public int X => 42; }", new CSharpParseOptions(LanguageVersion.Latest)));
        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in new[] { NetworkGenerator.Steps.Parse, NetworkGenerator.Steps.Models })
        {
            var outputs = run.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.Equal(2, outputs.Count);
            Assert.All(outputs, o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        }

        Assert.All(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void EditingOneNetworkReplansOnlyThatNetwork()
    {
        var compilation = GeneratorHarness.Compile(Models);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var changed = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Models.Replace("[Dense(256)", "[Dense(128)"))));
        var run = driver.RunGenerators(changed).GetRunResult().Results.Single();

        var reasons = run.TrackedSteps[NetworkGenerator.Steps.Models].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Single(reasons, IncrementalStepRunReason.Modified);
        Assert.Single(reasons, r => r is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void ModelsAreEquatableValues()
    {
        // Two parses of the same text give equal results: the model holds no symbols or syntax.
        var first = GeneratorHarness.Run(Models).Result.Results.Single().GeneratedSources;
        var second = GeneratorHarness.Run(Models).Result.Results.Single().GeneratedSources;
        Assert.Equal(first.Select(s => s.SourceText.ToString()), second.Select(s => s.SourceText.ToString()));
    }
}
