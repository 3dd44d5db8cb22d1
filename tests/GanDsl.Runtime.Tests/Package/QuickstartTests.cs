using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace GanDsl.Tests.Package;

/// <summary>
/// The package as a new user meets it: packed from a copy of the sources into a folder, referenced from that folder
/// by a fresh <c>dotnet new console</c> project, README's quickstart pasted in as written, built and run until its
/// first epoch ends. Also the package's layout, and the warning a project gets when the generator is left out.
/// </summary>
public sealed class QuickstartTests(PackedPackage package) : IClassFixture<PackedPackage>
{
    /// <summary>The C# block that follows README's quickstart marker, exactly as README shows it.</summary>
    internal static string ReadmeQuickstart()
    {
        string readme = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "README.md"));
        int marker = readme.IndexOf("<!-- quickstart:", StringComparison.Ordinal);
        Assert.True(marker >= 0, "README.md has no quickstart marker.");
        int start = readme.IndexOf("```csharp\n", marker, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("\n```", start, StringComparison.Ordinal);
        return readme[start..end] + "\n";
    }

    [Fact]
    public void ThePackageHoldsTheRuntimeTheGeneratorDocsAndMetadata()
    {
        using var zip = ZipFile.OpenRead(package.Nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (string expected in new[]
                 {
                     "lib/net10.0/GanDsl.Runtime.dll", "lib/net10.0/GanDsl.Runtime.xml", "analyzers/dotnet/cs/GanDsl.Generator.dll",
                     "build/GanDsl.targets", "buildTransitive/GanDsl.targets", "README.md", "LICENSE", "GanDsl.nuspec",
                 })
        {
            Assert.True(entries.Contains(expected), $"{expected} is not in the package: {string.Join(", ", entries.Order())}");
        }

        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("GanDsl.Generator.dll", StringComparison.Ordinal));
        XNamespace ns = XDocument.Load(zip.GetEntry("GanDsl.nuspec")!.Open()).Root!.Name.Namespace;
        var metadata = XDocument.Load(zip.GetEntry("GanDsl.nuspec")!.Open()).Root!.Element(ns + "metadata")!;
        string Field(string name) => metadata.Element(ns + name)?.Value ?? "";
        Assert.Equal("GanDsl", Field("id"));
        Assert.Equal(package.Version, Field("version"));
        Assert.Contains("source generator", Field("description"));
        Assert.Contains("gan", Field("tags").Split(' '));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.Equal("git", metadata.Element(ns + "repository")?.Attribute("type")?.Value);
        Assert.True(File.Exists(Path.ChangeExtension(package.Nupkg, ".snupkg")), "no symbol package beside the package");
    }

    [Fact]
    public async Task ReadmesQuickstartBuildsFromThePackageAndTrains()
    {
        string project = package.NewConsoleProject("Quickstart");
        File.WriteAllText(Path.Combine(project, "Program.cs"), ReadmeQuickstart());
        var build = PackedPackage.Dotnet(project, "build", "-c", "Release");
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.Contains(" 0 Warning(s)", build.Output);

        // Run it until its first epoch ends, then stop it as Ctrl+C would (SIGTERM: a background shell ignores SIGINT).
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(project, "bin", "Release", "net10.0", "Quickstart.dll"));
        start.Environment["GANDSL_DATA"] = TestData.MnistDirectory;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var output = new System.Text.StringBuilder();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            output.AppendLine(line);
            if (line.StartsWith("epoch ", StringComparison.Ordinal) && line[6..].TrimStart().StartsWith("1/30", StringComparison.Ordinal))
            {
                break;
            }
        }

        if (line is null)
        {
            Assert.Fail($"The quickstart ended before its first epoch:\n{output}{await errors}");
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        output.Append(process.StandardOutput.ReadToEnd());
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the quickstart did not stop on SIGTERM");
        string all = output + await errors;
        Assert.True(process.ExitCode == 0, all);
        foreach (string expected in new[] { "device: ", "Model: MnistGenerator", "Total params: 227,344", "Model: MnistDiscriminator", "memory: parameters", "training to epoch 30", "D loss", "Stopped in epoch 2" })
        {
            Assert.True(all.Contains(expected, StringComparison.Ordinal), $"'{expected}' is not in the output:\n{all}");
        }

        string outDir = Path.Combine(project, "out");
        foreach (string file in new[] { "real.png", "epoch_001.png", "training.csv", "training.png" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"the quickstart wrote no {file}");
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "checkpoints"), "*.safetensors"));
    }

    [Fact]
    public void AProjectWithTheRuntimeButNotTheGeneratorGetsOneWarningSayingHowToAddIt()
    {
        // The mistake README's project-reference lines prevent: the runtime referenced, the generator not.
        string project = package.NewProjectInRepository("NoGenerator", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="../../src/GanDsl.Runtime/GanDsl.Runtime.csproj" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), ReadmeQuickstart());
        var build = PackedPackage.Dotnet(project, "build", "-c", "Release");
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error CS1729", build.Output);
        Assert.Contains("warning GANDSL001: NoGenerator references GanDsl.Runtime but not GanDsl's source generator", build.Output);
        Assert.Contains("OutputItemType=\"Analyzer\"", build.Output);
    }
}

/// <summary>The GanDsl package, packed once per test class from a copy of the sources into a temporary folder.</summary>
public sealed class PackedPackage : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();
    private readonly string _copy;

    public PackedPackage()
    {
        string root = TestData.RepositoryRoot;
        string copy = _copy = Path.Combine(_dir.Path, "repo");
        foreach (string folder in new[] { "src/GanDsl.Runtime", "src/GanDsl.Generator", "src/Shared" })
        {
            CopySources(Path.Combine(root, folder), Path.Combine(copy, folder));
        }

        foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "global.json", "README.md", "LICENSE" })
        {
            File.Copy(Path.Combine(root, file), Path.Combine(copy, file));
        }

        // A version of its own, so NuGet's cache of packages never hands back an older build of this one.
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Feed = Path.Combine(_dir.Path, "packages");
        var pack = Dotnet(copy, "pack", "src/GanDsl.Runtime", "-c", "Release", "-o", Feed, $"-p:Version={Version}");
        Assert.True(pack.ExitCode == 0, pack.Output);
        Nupkg = Path.Combine(Feed, $"GanDsl.{Version}.nupkg");
        Assert.True(File.Exists(Nupkg), pack.Output);
    }

    public string Version { get; }

    public string Feed { get; }

    public string Nupkg { get; }

    /// <summary>README's commands: a console project, a nuget.config with the package folder as a source, the package added.</summary>
    public string NewConsoleProject(string name)
    {
        string project = Path.Combine(_dir.Path, name);
        Run(Dotnet(_dir.Path, "new", "console", "-o", project, "--framework", "net10.0"));
        Run(Dotnet(project, "new", "nugetconfig"));
        Run(Dotnet(project, "nuget", "add", "source", Feed, "--name", "gandsl-local", "--configfile", "nuget.config"));
        Run(Dotnet(project, "add", "package", "GanDsl", "--version", Version));
        return project;
    }

    /// <summary>A project beside the copied sources (under the copy's Directory.Build files), with <paramref name="csproj"/> as its project file.</summary>
    public string NewProjectInRepository(string name, string csproj)
    {
        string project = Path.Combine(_copy, "samples", name);
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, name + ".csproj"), csproj);
        return project;
    }

    public static (int ExitCode, string Output) Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        // The test host's MSBuild settings would steer the child's build; it starts as a user's shell would.
        foreach (string key in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"dotnet {string.Join(' ', args)} did not finish in 5 minutes");
        return (process.ExitCode, $"dotnet {string.Join(' ', args)}\n{output}{errors.Result}");
    }

    public void Dispose()
    {
        _dir.Dispose();

        // The test version in NuGet's package cache is this run's alone.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try
        {
            Directory.Delete(Path.Combine(cache, "gandsl", Version), recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Run((int ExitCode, string Output) result) => Assert.True(result.ExitCode == 0, result.Output);

    private static void CopySources(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            string first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj")
            {
                continue;
            }

            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
