using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;

namespace GanDsl.Tests.Package;

/// <summary>
/// The public surface is README's table, no more and no less: every public type a user sees in IntelliSense is listed
/// there, under its namespace, and every listed type is public and visible. What only generated code calls is hidden
/// with [EditorBrowsable(Never)], and anything else is internal, so internals cannot leak back unnoticed.
/// </summary>
public sealed partial class PublicApiTests
{
    [Fact]
    public void TheVisiblePublicTypesAreReadmesTable()
    {
        var documented = DocumentedTypes();
        var visible = typeof(Backend).Assembly.GetExportedTypes()
            .Where(t => !IsHidden(t))
            .Select(t => t.FullName!.Replace('+', '.'))
            .ToHashSet();

        var undocumented = visible.Except(documented).Order().ToList();
        var missing = documented.Except(visible).Order().ToList();
        Assert.True(undocumented.Count == 0,
            $"{undocumented.Count} public types are not in README's table (document them, make them internal, or hide them from IntelliSense): {string.Join(", ", undocumented)}");
        Assert.True(missing.Count == 0, $"README's table lists types that are not public and visible: {string.Join(", ", missing)}");
        Assert.InRange(documented.Count, 50, 150);
    }

    [Fact]
    public void WhatGeneratedCodeCallsIsHidden()
    {
        // The namespaces of plumbing: every public type in them is hidden, so a user's IntelliSense never offers them.
        string[] plumbing = ["GanDsl.Backends", "GanDsl.Backends.Cpu", "GanDsl.Randomness", "GanDsl.IO"];
        var shown = typeof(Backend).Assembly.GetExportedTypes()
            .Where(t => plumbing.Contains(t.Namespace) && !IsHidden(t))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(shown);
        Assert.True(IsHidden(typeof(GanDsl.Backends.KernelArgs)));
        Assert.False(typeof(Backend).Assembly.GetType("GanDsl.Backends.Cpu.CpuGemm")!.IsPublic);
    }

    [Fact]
    public void TheQuickstartNeedsTwoUsings()
    {
        var usings = QuickstartTests.ReadmeQuickstart().Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("using ", StringComparison.Ordinal) && !l.StartsWith("using var ", StringComparison.Ordinal));
        Assert.Equal(["using GanDsl;", "using GanDsl.Data;"], usings);
    }

    private static bool IsHidden(Type type) =>
        type.GetCustomAttribute<EditorBrowsableAttribute>() is { State: EditorBrowsableState.Never };

    /// <summary>The full names in README's public-API table: each row's namespace (first cell) and its types (second cell).</summary>
    private static HashSet<string> DocumentedTypes()
    {
        string readme = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "README.md"));
        int start = readme.IndexOf("<!-- public-api", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no public-api table marker.");
        var types = new HashSet<string>();
        foreach (string line in readme[start..].Split('\n').Skip(1))
        {
            if (line.StartsWith("| ---", StringComparison.Ordinal) || line.StartsWith("| namespace", StringComparison.Ordinal))
            {
                continue;
            }

            if (!line.StartsWith('|'))
            {
                break;
            }

            var cells = line.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            string ns = Code().Match(cells[0]).Groups[1].Value;
            foreach (Match m in Code().Matches(cells[1]))
            {
                Assert.True(types.Add($"{ns}.{m.Groups[1].Value}"), $"README lists {ns}.{m.Groups[1].Value} twice.");
            }
        }

        return types;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();
}
