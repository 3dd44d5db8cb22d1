using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The generated code of the sample models, compared to checked-in baselines so every change to
/// the emitted code is reviewed. Run with GANDSL_UPDATE_BASELINES=1 to rewrite the baselines.
/// </summary>
public sealed class BaselineTests
{
    [Theory]
    [InlineData("MnistGan", "MnistGan.MnistGenerator.g.cs")]
    [InlineData("MnistGan", "MnistGan.MnistDiscriminator.g.cs")]
    [InlineData("ConditionalGan", "ConditionalGan.ConditionalGenerator.g.cs")]
    [InlineData("ConditionalGan", "ConditionalGan.ConditionalDiscriminator.g.cs")]
    [InlineData("Dcgan", "Dcgan.DcganGenerator.g.cs")]
    [InlineData("Dcgan", "Dcgan.DcganDiscriminator.g.cs")]
    [InlineData("Wgan", "Wgan.WganGenerator.g.cs")]
    [InlineData("Wgan", "Wgan.WganCritic.g.cs")]
    [InlineData("WganGp", "WganGp.WganGpGenerator.g.cs")]
    [InlineData("WganGp", "WganGp.WganGpCritic.g.cs")]
    [InlineData("Acgan", "Acgan.AcganGenerator.g.cs")]
    [InlineData("Acgan", "Acgan.AcganDiscriminator.g.cs")]
    [InlineData("InfoGan", "InfoGan.InfoGanGenerator.g.cs")]
    [InlineData("InfoGan", "InfoGan.InfoGanDiscriminator.g.cs")]
    [InlineData("HrDcgan", "HrDcgan.HrDcganGenerator.g.cs")]
    [InlineData("HrDcgan", "HrDcgan.HrDcganDiscriminator.g.cs")]
    [InlineData("Aae", "Aae.AaeEncoder.g.cs")]
    [InlineData("Aae", "Aae.AaeDecoder.g.cs")]
    [InlineData("Aae", "Aae.AaeDiscriminator.g.cs")]
    [InlineData("Cogan", "Cogan.CoganGeneratorA.g.cs")]
    [InlineData("Cogan", "Cogan.CoganGeneratorB.g.cs")]
    [InlineData("Cogan", "Cogan.CoganDiscriminatorA.g.cs")]
    [InlineData("Cogan", "Cogan.CoganDiscriminatorB.g.cs")]
    [InlineData("Pix2Pix", "Pix2Pix.Pix2PixGenerator.g.cs")]
    [InlineData("Pix2Pix", "Pix2Pix.Pix2PixDiscriminator.g.cs")]
    [InlineData("StackGan", "StackGan.ConditioningAugmentation.g.cs")]
    [InlineData("StackGan", "StackGan.StageOneGenerator.g.cs")]
    [InlineData("StackGan", "StackGan.StageOneDiscriminator.g.cs")]
    [InlineData("StackGan", "StackGan.StageTwoGenerator.g.cs")]
    [InlineData("StackGan", "StackGan.StageTwoDiscriminator.g.cs")]
    [InlineData("CycleGan", "CycleGan.CycleGanGenerator.g.cs")]
    [InlineData("CycleGan", "CycleGan.CycleGanDiscriminator.g.cs")]
    [InlineData("DiscoGan", "DiscoGan.DiscoGanGenerator.g.cs")]
    [InlineData("DiscoGan", "DiscoGan.DiscoGanFeatures.g.cs")]
    [InlineData("DiscoGan", "DiscoGan.DiscoGanJudge.g.cs")]
    public void GeneratedCodeMatchesBaseline(string sample, string hintName) => MatchesBaseline($"samples/{sample}/Models.cs", hintName);

    /// <summary>Layers no sample uses yet, from the runtime tests' small networks (which their gradient checks and GPU parity run).</summary>
    [Theory]
    [InlineData("GanDsl.Tests.Models.ExponentialNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.UpsampleNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.TwoHeadNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.ProductNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.PReluNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.InstanceNormNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.SkipNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.ThreeHeadNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.SharedFirstNet.g.cs")]
    [InlineData("GanDsl.Tests.Models.SharedNarrowNet.g.cs")]
    public void LayerTestNetworksMatchBaselines(string hintName) => MatchesBaseline("tests/GanDsl.Runtime.Tests/Models/TestNetworks.cs", hintName);

    private static void MatchesBaseline(string modelsFile, string hintName)
    {
        var (result, _) = GeneratorHarness.Run(RepositoryFiles.Read(modelsFile));
        var generated = result.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();
        string baselinePath = Path.Combine(RepositoryFiles.Root, "tests", "GanDsl.Generator.Tests", "Baselines", hintName + ".txt");
        if (Environment.GetEnvironmentVariable("GANDSL_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(baselinePath, generated);
        }

        Assert.True(File.Exists(baselinePath), $"No baseline at {baselinePath}; run the tests once with GANDSL_UPDATE_BASELINES=1.");
        Assert.Equal(File.ReadAllText(baselinePath).ReplaceLineEndings("\n"), generated.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("MnistGan")]
    [InlineData("ConditionalGan")]
    [InlineData("Dcgan")]
    [InlineData("Wgan")]
    [InlineData("WganGp")]
    [InlineData("Acgan")]
    [InlineData("InfoGan")]
    [InlineData("HrDcgan")]
    [InlineData("Aae", 3)]
    [InlineData("Cogan", 4)]
    [InlineData("Pix2Pix")]
    [InlineData("StackGan", 5)]
    [InlineData("CycleGan")]
    [InlineData("DiscoGan", 3)]
    public void SampleModelsCompileWithoutWarnings(string sample, int networks = 2)
    {
        var (result, output) = GeneratorHarness.Run(RepositoryFiles.Read($"samples/{sample}/Models.cs"));
        Assert.Empty(result.Diagnostics);
        Assert.Equal(networks, result.GeneratedTrees.Length);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void GeneratedFileIsMarkedAndNamedPerModel()
    {
        var (result, _) = GeneratorHarness.Run("using GanDsl;\nnamespace A.B { [Input(4)] [Dense(3), Sigmoid] internal partial class Tiny; }\n[GanDsl.Input(2)] [GanDsl.Dense(1)] partial class Global;");
        var names = result.Results.Single().GeneratedSources.Select(s => s.HintName).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { "A.B.Tiny.g.cs", "Global.g.cs" }, names);
        foreach (var source in result.Results.Single().GeneratedSources)
        {
            string text = source.SourceText.ToString();
            Assert.StartsWith("// <auto-generated/>", text);
            Assert.Contains("#nullable enable", text);
        }
    }

    [Fact]
    public void ConstantsAreBakedIntoKernels()
    {
        var (result, _) = GeneratorHarness.Run("using GanDsl;\n[Input(5)] [Dense(37), LeakyRelu(0.125f)] public partial class Net;");
        string text = result.GeneratedTrees.Single().ToString();
        Assert.Contains("Vector256.Create(0.125f)", text);     // the slope, as a literal
        Assert.Contains("(nuint)r * 37", text);                 // the width, as a literal
        Assert.Contains("for (nuint c = 32; c < 37; c++)", text); // the scalar tail after 4 vectors
        Assert.DoesNotContain("Slope", text.Substring(text.IndexOf("private static void", StringComparison.Ordinal)));
    }
}
