namespace GanDsl.Generator.Tests;

/// <summary>Files of this repository, found by walking up from the test binaries to GanDsl.sln.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No GanDsl.sln above {AppContext.BaseDirectory}.");
    }
}
