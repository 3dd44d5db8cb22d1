namespace GanDsl.Tests;

/// <summary>
/// Where the tests find the real MNIST, and scratch directories. The data directory is
/// <c>$GANDSL_DATA</c> when set (CI sets it), else <c>../shared/data/mnist</c> from the repository
/// root, the folder holding GanDsl.sln (or GanDsl.slnx), found by walking up from the test binaries.
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> Mnist = new(() =>
        FindMnistDirectory(AppContext.BaseDirectory, Environment.GetEnvironmentVariable));

    /// <summary>The real MNIST directory (four .gz files); throws with directions when it cannot be found.</summary>
    public static string MnistDirectory => Mnist.Value;

    /// <summary>The resolution rule, with the starting point and environment injected.</summary>
    internal static string FindMnistDirectory(string start, Func<string, string?> environment)
    {
        string? fromEnvironment = environment("GANDSL_DATA");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln")) || File.Exists(Path.Combine(dir.FullName, "GanDsl.slnx")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "mnist"));
            }
        }

        throw new InvalidOperationException(
            $"Cannot find the MNIST test data: GANDSL_DATA is not set and no folder above {start} holds GanDsl.sln. " +
            "Set GANDSL_DATA to the directory with the four MNIST .gz files.");
    }

    /// <summary>The repository's root: the folder above the test binaries that holds GanDsl.sln.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds GanDsl.sln.");
        }
    }

    /// <summary>
    /// <paramref name="count"/> MNIST-shaped images of seeded random bytes, labelled 0..9 in turn: a training
    /// step's arithmetic does not care what the pixels are.
    /// </summary>
    public static global::GanDsl.Data.MnistDataset RandomImages(int count, int seed)
    {
        var pixels = new byte[count * 784];
        new Random(seed).NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        return global::GanDsl.Data.MnistDataset.Create(pixels, labels);
    }

    /// <summary>A fresh empty directory under the system temp folder, deleted (recursively) on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gandsl-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: temp files are the OS's to clean up otherwise.
            }
        }
    }
}
