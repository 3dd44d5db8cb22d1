using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The generator over many random attribute lists: legal and illegal layers, sizes at and past the limits, keyword and
/// unicode names, the class forms C# allows. Each must give code that compiles, or GAN diagnostics only; never an
/// exception, never a hint-name error (CS8785), never an error in generated code. GANDSL_FUZZ_COUNT and GANDSL_FUZZ_SEED run more.
/// </summary>
public sealed class RandomModelTests(ITestOutputHelper output)
{
    private static readonly string[] Names = ["Net", "@class", "var", "@record", "dynamic", "nameof", "async", "Réseau", "Δίκτυο", "Backend", "Tensor", "Network", "@namespace", "__", "A1", "value", "@this"];

    private static readonly string[] Namespaces = ["", "namespace N;", "namespace @namespace;", "namespace @class.@var;", "namespace Ñandú.Δ;", "namespace System;", "namespace N { ", "namespace var;"];

    // Sizes near every boundary: invalid (0, -1), small, the limits and one past them, and int's end.
    private static readonly int[] Sizes = [-1, 0, 1, 2, 3, 4, 7, 8, 16, 28, 64, 1023, 1024, 1025, 65535, 65536, 65537, 1 << 24, (1 << 24) + 1, int.MaxValue];

    private static readonly string[] Floats = ["0f", "0.2f", "0.5f", "1f", "1.5f", "-0.1f", "float.NaN", "float.PositiveInfinity", "1e-5f", "0.99f"];

    // Members a user may add, some of which collide with the generated part.
    private static readonly string[] Members =
    [
        "public int Extra => 1;", "private int _state;", "public override string ToString() => \"x\";", "public int W0;", "public int Backend => 1;",
        "public void Forward() { }", "public {name}(GanDsl.Backend b) : this(b, 3) { }", "protected override void ForwardCore(int rows) { }",
        "public static int Stage0Forward;", "public class b0 { }",
    ];

    [Fact]
    public void EveryRandomModelCompilesOrGetsGanDiagnosticsOnly()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("GANDSL_FUZZ_COUNT"), out int c) ? c : 400;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("GANDSL_FUZZ_SEED"), out int s) ? s : 20261206;
        var random = new Random(seed);
        int generated = 0, refused = 0;
        var failures = new List<string>();
        var ids = new Dictionary<string, int>();
        for (int i = 0; i < count; i++)
        {
            var (source, stubbable) = RandomModel(random);
            string? failure = Check(source, stubbable, ids, ref generated, ref refused);
            if (failure is not null)
            {
                failures.Add($"#{i}: {failure}\n{source}");
            }
        }

        output.WriteLine($"seed {seed}: {count} models tried, {count - failures.Count} behaved ({generated} generated and compiled, {refused} refused with GAN diagnostics only)");
        output.WriteLine("diagnostics: " + string.Join(", ", ids.OrderByDescending(p => p.Value).Select(p => $"{p.Key} x{p.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
        Assert.True(generated > count / 10 && refused > count / 10, $"the mix should hold both kinds: {generated} generated, {refused} refused");
    }

    private static string? Check(string source, bool stubbable, Dictionary<string, int> ids, ref int generated, ref int refused)
    {
        var (result, compiled) = GeneratorHarness.Run(source);
        if (result.Results.FirstOrDefault(r => r.Exception is not null).Exception is { } exception)
        {
            return "the generator threw " + exception;
        }

        var notGan = result.Diagnostics.Where(d => !d.Id.StartsWith("GAN", StringComparison.Ordinal)).ToList();
        if (notGan.Count > 0)
        {
            return "non-GAN generator diagnostics: " + string.Join("; ", notGan);
        }

        var generatedTrees = result.GeneratedTrees.ToHashSet();
        var errors = compiled.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.FirstOrDefault(e => e.Location.SourceTree is { } tree && generatedTrees.Contains(tree)) is { } inGenerated)
        {
            return "error in generated code: " + inGenerated;
        }

        bool gan = result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

        // A member that collides with the generated part (GAN0029) may leave the user's own code with errors of its own.
        stubbable &= !result.Diagnostics.Any(d => d.Id == "GAN0029");
        if ((!gan || stubbable) && errors.Count > 0)
        {
            return "compile errors: " + string.Join("; ", errors.Take(3));
        }

        foreach (var id in result.Diagnostics.Select(d => d.Id).Distinct())
        {
            ids[id] = ids.GetValueOrDefault(id) + 1;
        }

        if (gan)
        {
            refused++;
        }
        else
        {
            generated++;
        }

        return null;
    }

    private static (string Source, bool Stubbable) RandomModel(Random random)
    {
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
        int Size(int small) => random.Next(12) == 0 ? Pick(Sizes) : random.Next(1, small + 1);
        string F() => random.Next(8) == 0 ? Pick(Floats) : "0.2f";

        var text = new StringBuilder("using GanDsl;\n");
        string ns = Pick(Namespaces);
        text.Append(ns).Append('\n');
        string name = Pick(Names);

        // Mostly valid-looking networks (image or vector), with a random layer swapped in now and then.
        var layers = new List<string>();
        bool image = random.Next(2) == 0;
        layers.Add(image ? $"Input({Size(3)}, {Size(16)}, {Size(16)})" : $"Input({Size(64)})");
        if (random.Next(6) == 0)
        {
            layers.Add($"Condition({Size(10)}, {Size(8)})");
        }

        int depth = random.Next(1, 7);
        for (int d = 0; d < depth; d++)
        {
            string layer = random.Next(8) switch
            {
                6 when image => random.Next(4) == 0 ? $"Upsample({Size(4)})" : "Upsample",
                0 when image => $"Conv2D({Size(8)}, {Size(4)}, {Size(2)}{(random.Next(3) == 0 ? $", (Padding)({random.Next(-1, 3)})" : "")})",
                1 when image => $"ConvTranspose2D({Size(8)}, {Size(4)}, stride: {Size(2)}{(random.Next(3) == 0 ? $", OutputSize = {Size(32)}" : "")})",
                2 when image && random.Next(2) == 0 => $"InstanceNorm({(random.Next(2) == 0 ? "true" : "false")}, {(random.Next(3) == 0 ? F() : "1e-5f")})",
                2 => $"BatchNorm({F()}, {(random.Next(3) == 0 ? F() : "1e-5f")})",
                3 => $"Dropout({F()})",
                4 when image => $"Reshape({Size(8)}, {Size(8)}, {Size(8)})",
                5 when image => "Flatten",
                _ => $"Dense({Size(32)})",
            };
            if (layer == "Flatten")
            {
                image = false;
            }

            layers.Add(layer);
            if (random.Next(2) == 0)
            {
                layers.Add(Pick(new[] { "Relu", "Tanh", "Sigmoid", $"LeakyRelu({F()})", $"Elu({F()})", "Selu", "PRelu", "PRelu(true)" }));
            }
        }

        if (image && random.Next(3) > 0)
        {
            layers.Add("Flatten");
            layers.Add($"Dense({Size(4)})");
        }

        if (random.Next(5) == 0)
        {
            // A skip: a Save somewhere, and a Concat or Add after it (or anywhere, or of another name, now and then).
            int save = random.Next(1, layers.Count + 1);
            layers.Insert(save, "Save(\"s\")");
            string join = random.Next(2) == 0 ? "Concat" : "Add";
            string savedName = random.Next(8) == 0 ? "t" : "s";
            layers.Insert(random.Next(4) == 0 ? random.Next(1, layers.Count + 1) : random.Next(save + 1, layers.Count + 1), $"{join}(\"{savedName}\")");
        }

        if (random.Next(4) == 0)
        {
            // Heads anywhere after the Input: good names, now and then a repeated or an invalid one.
            int heads = random.Next(1, 4);
            for (int h = 0; h < heads; h++)
            {
                string headName = random.Next(10) switch
                {
                    0 => "\"h0\"",
                    1 => Pick(new[] { "\"\"", "null", "\"2x\"", "\"a-b\"", "\"class\"", "\"\u00e9t\u00e9\"" }),
                    _ => $"\"h{h}\"",
                };
                layers.Insert(random.Next(1, layers.Count + 1), $"Head({headName})");
            }

            if (random.Next(2) == 0)
            {
                layers.Add($"Dense({Size(4)})");
            }
        }

        if (random.Next(10) == 0)
        {
            // Out of order: an activation or a Flatten anywhere, or the Input moved.
            layers.Insert(random.Next(layers.Count + 1), Pick(new[] { "Relu", "Flatten" }));
            int other = random.Next(layers.Count);
            (layers[0], layers[other]) = (layers[other], layers[0]);
        }

        string extra = random.Next(8) switch
        {
            0 => "[GradientPenalty] ",
            1 => $"[Initialization((WeightInit)({random.Next(-1, 5)}))] ",
            _ => "",
        };
        text.Append(extra).Append(string.Concat(layers.Select(l => $"[{l}] ")));

        int form = random.Next(12);
        string declaration = form switch
        {
            0 => $"public partial record {name};",
            1 => $"public partial class {name}(int size);",
            2 => $"public class {name} {{ }}",
            3 => $"public static partial class {name};",
            4 or 5 => $"internal sealed partial class {name} {{ {Pick(Members).Replace("{name}", name, StringComparison.Ordinal)} }}",
            _ => $"public partial class {name};",
        };
        text.Append(declaration);
        bool stubbable = form >= 4;
        if (stubbable)
        {
            text.Append($"\nstatic class Use {{ public static object Make(GanDsl.Backend b) => new {name}(b, 1); }}");
        }

        if (ns.EndsWith("{ ", StringComparison.Ordinal))
        {
            text.Append("\n}");
        }

        return (text.ToString(), stubbable);
    }
}
