using System.Security.Cryptography;
using System.Text;

namespace GanDsl.Data;

/// <summary>The two MNIST splits and the directory they were read from.</summary>
/// <param name="Train">The 60,000 training images and labels.</param>
/// <param name="Test">The 10,000 test images and labels.</param>
/// <param name="Directory">The absolute directory the four files were read from.</param>
public sealed record MnistData(MnistDataset Train, MnistDataset Test, string Directory);

/// <summary>
/// MNIST files are missing from the data directory and could not be downloaded. The message says
/// which files, which directory, why each download failed, and how to fix it.
/// </summary>
public sealed class MnistNotFoundException : IOException
{
    internal MnistNotFoundException(string message, string directory, IReadOnlyList<string> missingFiles,
        IReadOnlyDictionary<string, string> downloadErrors)
        : base(message)
    {
        Directory = directory;
        MissingFiles = missingFiles;
        DownloadErrors = downloadErrors;
    }

    /// <summary>The directory that was searched (and downloaded into).</summary>
    public string Directory { get; }

    /// <summary>The base names (without .gz) of the files still missing.</summary>
    public IReadOnlyList<string> MissingFiles { get; }

    /// <summary>For each missing file (by base name), the last download error.</summary>
    public IReadOnlyDictionary<string, string> DownloadErrors { get; }
}

/// <summary>
/// Finds, downloads when missing, and loads MNIST. The data directory holds the four standard
/// files, each either gzip-compressed (<c>name.gz</c>) or decompressed (<c>name</c>).
/// </summary>
public static class Mnist
{
    /// <summary>Training images: 60,000 x 28 x 28.</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte";

    /// <summary>Training labels: 60,000.</summary>
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";

    /// <summary>Test images: 10,000 x 28 x 28.</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte";

    /// <summary>Test labels: 10,000.</summary>
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>The environment variable naming the data directory when no explicit one is given.</summary>
    public const string DataEnvironmentVariable = "GANDSL_DATA";

    /// <summary>The side of an MNIST image, in pixels.</summary>
    public const int ImageSide = 28;

    /// <summary>The four file names, without the .gz suffix.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        [TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile];

    /// <summary>The mirrors tried, in order, for missing files (each URL is mirror + name + ".gz").</summary>
    public static IReadOnlyList<string> Mirrors => MnistDownloadSource.Default.Mirrors;

    /// <summary>
    /// The data directory to use: <paramref name="explicitDirectory"/> (the <c>--data</c> option)
    /// when given, else the <c>GANDSL_DATA</c> environment variable when set, else a per-user cache:
    /// <c>$XDG_CACHE_HOME/gandsl/mnist</c> or <c>~/.cache/gandsl/mnist</c> on Linux and macOS,
    /// <c>%LOCALAPPDATA%\GanDsl\mnist</c> on Windows. Explicit and environment paths are made
    /// absolute; the directory need not exist.
    /// </summary>
    public static string ResolveDataDirectory(string? explicitDirectory) =>
        Resolve(explicitDirectory, Environment.GetEnvironmentVariable, OperatingSystem.IsWindows()).Directory;

    /// <summary><see cref="ResolveDataDirectory(string?)"/> with the environment and platform injected.</summary>
    internal static string ResolveDataDirectory(string? explicitDirectory, Func<string, string?> environment, bool windows) =>
        Resolve(explicitDirectory, environment, windows).Directory;

    /// <summary>The directory and, in words, where it came from (for messages).</summary>
    internal static (string Directory, string Origin) Resolve(string? explicitDirectory, Func<string, string?> environment, bool windows)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return (Path.GetFullPath(explicitDirectory), "given with --data");
        }

        string? fromEnvironment = environment(DataEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return (Path.GetFullPath(fromEnvironment), $"from the {DataEnvironmentVariable} environment variable");
        }

        const string origin = $"the per-user cache; no --data given and {DataEnvironmentVariable} is not set";
        return (Path.Combine(IO.UserCache.GetRoot(environment, windows), "mnist"), origin);
    }

    /// <summary>
    /// Loads both splits from the data directory (see <see cref="ResolveDataDirectory(string?)"/>),
    /// first downloading any missing files from <see cref="Mirrors"/> (verifying their MD5s).
    /// </summary>
    /// <param name="dataDirectory">The <c>--data</c> directory, or null to use GANDSL_DATA or the cache.</param>
    /// <param name="log">Where to say what is being done (downloads, retries, what was loaded); null for silence.</param>
    /// <param name="http">The client for downloads; null creates one when a download is needed.</param>
    /// <exception cref="MnistNotFoundException">Files are missing and could not be downloaded.</exception>
    /// <exception cref="MnistFormatException">A file is malformed, or the files do not agree.</exception>
    public static MnistData Load(string? dataDirectory = null, TextWriter? log = null, HttpClient? http = null) =>
        LoadAsync(dataDirectory, log, http, MnistDownloadSource.Default, Environment.GetEnvironmentVariable, CancellationToken.None)
            .GetAwaiter().GetResult();

    /// <inheritdoc cref="Load(string?, TextWriter?, HttpClient?)"/>
    /// <param name="dataDirectory">The <c>--data</c> directory, or null to use GANDSL_DATA or the cache.</param>
    /// <param name="log">Where to say what is being done (downloads, retries, what was loaded); null for silence.</param>
    /// <param name="http">The client for downloads; null creates one when a download is needed.</param>
    /// <param name="cancellationToken">Cancels downloads (a partial download leaves no file behind).</param>
    public static Task<MnistData> LoadAsync(string? dataDirectory = null, TextWriter? log = null, HttpClient? http = null,
        CancellationToken cancellationToken = default) =>
        LoadAsync(dataDirectory, log, http, MnistDownloadSource.Default, Environment.GetEnvironmentVariable, cancellationToken);

    /// <summary>The full loader with the mirrors, their MD5s and the environment injected (tests).</summary>
    internal static async Task<MnistData> LoadAsync(string? dataDirectory, TextWriter? log, HttpClient? http,
        MnistDownloadSource source, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        (string directory, string origin) = Resolve(dataDirectory, environment, OperatingSystem.IsWindows());
        var missing = FileNames.Where(name => FindFile(directory, name) is null).ToList();
        if (missing.Count > 0)
        {
            var errors = await DownloadMissingAsync(directory, missing, log, http, source, cancellationToken)
                .ConfigureAwait(false);
            var stillMissing = FileNames.Where(name => FindFile(directory, name) is null).ToList();
            if (stillMissing.Count > 0)
            {
                throw NotFound(directory, origin, stillMissing, errors, source);
            }
        }

        log?.WriteLine($"MNIST: loading from {directory}");
        string trainImages = FindFile(directory, TrainImagesFile)!;
        MnistDataset train = MnistDataset.FromFiles(trainImages, FindFile(directory, TrainLabelsFile)!);
        if (train.Rows != ImageSide || train.Cols != ImageSide)
        {
            throw new MnistFormatException(trainImages,
                $"the images are {train.Rows}x{train.Cols}, but MNIST's are {ImageSide}x{ImageSide}; point --data at MNIST itself (GanDsl.Data.ImageDataset takes images of other sizes)");
        }

        string testImages = FindFile(directory, TestImagesFile)!;
        MnistDataset test = MnistDataset.FromFiles(testImages, FindFile(directory, TestLabelsFile)!);
        if (test.Rows != train.Rows || test.Cols != train.Cols)
        {
            throw new MnistFormatException(testImages,
                $"image size mismatch: the test images are {test.Rows}x{test.Cols} but the training images are {train.Rows}x{train.Cols}");
        }

        log?.WriteLine($"MNIST: {train.Count} training and {test.Count} test images of {train.Rows}x{train.Cols}");
        return new MnistData(train, test, directory);
    }

    /// <summary>The path of <paramref name="name"/> in <paramref name="directory"/>, decompressed or .gz; null when neither exists.</summary>
    internal static string? FindFile(string directory, string name)
    {
        // Anything under the name counts as present (a directory too), so the reader says what is wrong with it
        // rather than a download starting beside it.
        string raw = Path.Combine(directory, name);
        if (File.Exists(raw) || Directory.Exists(raw))
        {
            return raw;
        }

        string gz = raw + ".gz";
        return File.Exists(gz) || Directory.Exists(gz) ? gz : null;
    }

    private static async Task<Dictionary<string, string>> DownloadMissingAsync(string directory, List<string> missing,
        TextWriter? log, HttpClient? http, MnistDownloadSource source, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>();
        log?.WriteLine($"MNIST: {string.Join(", ", missing)} missing from {directory}; downloading");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            log?.WriteLine($"MNIST: cannot create {directory}: {e.Message}");
            foreach (string name in missing)
            {
                errors[name] = $"cannot create the directory: {e.Message}";
            }

            return errors;
        }

        HttpClient? owned = null;
        try
        {
            HttpClient client = http ?? (owned = CreateHttpClient());
            foreach (string name in missing)
            {
                string? error = await DownloadAsync(client, directory, name, source, log, cancellationToken)
                    .ConfigureAwait(false);
                if (error is not null)
                {
                    errors[name] = error;
                }
            }
        }
        finally
        {
            owned?.Dispose();
        }

        return errors;
    }

    private static HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(20) };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("GanDsl-MNIST-downloader/1.0");
        return client;
    }

    /// <summary>
    /// Downloads <c>name.gz</c> from each mirror in turn until one verifies; returns null on
    /// success, else the last error. The file appears under its final name only once complete and
    /// verified: it is written to a temporary name in the same directory, then renamed.
    /// </summary>
    private static async Task<string?> DownloadAsync(HttpClient client, string directory, string name,
        MnistDownloadSource source, TextWriter? log, CancellationToken cancellationToken)
    {
        string gzName = name + ".gz";
        string final = Path.Combine(directory, gzName);
        if (!source.Md5.TryGetValue(gzName, out string? expected))
        {
            return $"no MD5 is known for {gzName}";
        }

        string? lastError = null;
        foreach (string mirror in source.Mirrors)
        {
            string url = mirror.EndsWith('/') ? mirror + gzName : mirror + "/" + gzName;
            string temp = Path.Combine(directory, $".{gzName}.{Guid.NewGuid():N}.part");
            log?.WriteLine($"MNIST: downloading {url}");
            try
            {
                using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                    .ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    lastError = $"{url}: HTTP {(int)response.StatusCode} ({response.ReasonPhrase})";
                    log?.WriteLine($"MNIST: {lastError}; trying the next mirror");
                    continue;
                }

                (long bytes, string md5) = await SaveAsync(response, temp, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(md5, expected, StringComparison.OrdinalIgnoreCase))
                {
                    lastError = $"{url}: MD5 mismatch: got {md5}, expected {expected} ({bytes} bytes received)";
                    log?.WriteLine($"MNIST: {lastError}; deleted, trying the next mirror");
                    continue;
                }

                File.Move(temp, final, overwrite: true);
                log?.WriteLine($"MNIST: saved {final} ({bytes} bytes, MD5 verified)");
                return null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                lastError = $"{url}: {Describe(e)}";
                log?.WriteLine($"MNIST: {lastError}; trying the next mirror");
            }
            finally
            {
                TryDelete(temp);
            }
        }

        return lastError ?? "no mirrors to try";
    }

    /// <summary>Streams the body to <paramref name="path"/>, hashing as it goes.</summary>
    private static async Task<(long Bytes, string Md5)> SaveAsync(HttpResponseMessage response, string path,
        CancellationToken cancellationToken)
    {
        long? announced = response.Content.Headers.ContentLength;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long bytes = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                         bufferSize: 1 << 16, FileOptions.Asynchronous))
        {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                bytes += n;
                if (bytes > MnistDownloadSource.MaxDownloadBytes)
                {
                    throw new InvalidDataException(
                        $"the response is larger than {MnistDownloadSource.MaxDownloadBytes} bytes, far more than any MNIST file");
                }

                md5.AppendData(buffer, 0, n);
                await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }

            file.Flush(flushToDisk: true);
        }

        if (announced is long length && length != bytes)
        {
            throw new IOException($"incomplete download: received {bytes} of {length} bytes");
        }

        return (bytes, Convert.ToHexStringLower(md5.GetHashAndReset()));
    }

    private static string Describe(Exception e)
    {
        if (e is TaskCanceledException { InnerException: TimeoutException })
        {
            return "timed out";
        }

        string message = e.Message;
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message += $" ({inner.Message})";
            }
        }

        return message;
    }

    private static MnistNotFoundException NotFound(string directory, string origin, List<string> missing,
        Dictionary<string, string> errors, MnistDownloadSource source)
    {
        var text = new StringBuilder();
        text.AppendLine($"MNIST not found: {missing.Count} of the {FileNames.Count} files are missing from {directory}")
            .AppendLine($"(that directory is {origin}):");
        foreach (string name in missing)
        {
            text.AppendLine($"  {name}.gz (or {name} decompressed)");
        }

        text.AppendLine($"Downloading them failed ({source.Mirrors.Count} mirror{(source.Mirrors.Count == 1 ? "" : "s")} tried per file); the last error for each:");
        foreach (string name in missing)
        {
            text.AppendLine($"  {name}.gz: {errors.GetValueOrDefault(name, "unknown error")}");
        }

        text.AppendLine("To fix it, do one of these:")
            .AppendLine($"  - download these files into {directory} (keep the names; .gz or decompressed both work):");
        string first = source.Mirrors.Count > 0 ? source.Mirrors[0] : "";
        foreach (string name in missing)
        {
            text.AppendLine($"      {first}{name}.gz");
        }

        if (source.Mirrors.Count > 1)
        {
            text.AppendLine($"    (the same names are also at {string.Join(" and ", source.Mirrors.Skip(1))})");
        }

        text.AppendLine("  - pass --data DIR, where DIR holds all four files")
            .Append($"  - set the environment variable {DataEnvironmentVariable}=DIR, where DIR holds all four files");
        return new MnistNotFoundException(text.ToString(), directory, missing, errors);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray .part file is harmless and never mistaken for data.
        }
    }
}

/// <summary>Where missing MNIST files come from and the MD5 each .gz must have (injectable for tests).</summary>
/// <param name="Mirrors">Base URLs tried in order; a file's URL is base + name + ".gz".</param>
/// <param name="Md5">Lower-case hex MD5 of each .gz file as the mirrors serve it, keyed by "name.gz".</param>
internal sealed record MnistDownloadSource(IReadOnlyList<string> Mirrors, IReadOnlyDictionary<string, string> Md5)
{
    /// <summary>Larger responses are refused: the biggest MNIST file is under 10 MB.</summary>
    public const long MaxDownloadBytes = 64L << 20;

    /// <summary>The usual mirrors and the MD5s of the gzip files they serve.</summary>
    public static MnistDownloadSource Default { get; } = new(
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://yann.lecun.com/exdb/mnist/",
        ],
        new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            ["train-labels-idx1-ubyte.gz"] = "d53e105ee54ea40749a09fcbcd1e9432",
            ["t10k-images-idx3-ubyte.gz"] = "9fb629c4189551a2d022fa330f9573f3",
            ["t10k-labels-idx1-ubyte.gz"] = "ec29112dd5afa0611ce80d1b7f02629c",
        });
}
