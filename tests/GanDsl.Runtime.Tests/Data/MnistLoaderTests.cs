using System.Net;
using System.Security.Cryptography;
using GanDsl.Data;
using static GanDsl.Tests.Data.IdxBytes;

namespace GanDsl.Tests.Data;

/// <summary>Data directory resolution and the downloader, offline: HTTP goes to a <see cref="FakeHttpHandler"/>.</summary>
public sealed class MnistLoaderTests : IDisposable
{
    private const string MirrorA = "https://mirror-a.test/mnist/";
    private const string MirrorB = "https://mirror-b.test/datasets/mnist/";
    private const string MirrorC = "https://mirror-c.test/exdb/mnist"; // no trailing slash on purpose

    // Small but valid stand-ins for the four files, and a source whose MD5 table describes them.
    private static readonly Dictionary<string, byte[]> Served = new()
    {
        ["train-images-idx3-ubyte.gz"] = Gzip(Images(6, seed: 1)),
        ["train-labels-idx1-ubyte.gz"] = Gzip(CyclingLabels(6)),
        ["t10k-images-idx3-ubyte.gz"] = Gzip(Images(3, seed: 2)),
        ["t10k-labels-idx1-ubyte.gz"] = Gzip(Labels(7, 2, 1)),
    };

    private static readonly MnistDownloadSource Source = new(
        [MirrorA, MirrorB, MirrorC],
        Served.ToDictionary(kv => kv.Key, kv => Convert.ToHexStringLower(MD5.HashData(kv.Value))));

    private readonly TestData.TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string FileOf(HttpRequestMessage request) => request.RequestUri!.Segments[^1];

    private static async Task<MnistData> LoadAsync(string directory, FakeHttpHandler handler, TextWriter? log = null)
    {
        using var http = new HttpClient(handler);
        return await Mnist.LoadAsync(directory, log, http, Source, _ => null, TestContext.Current.CancellationToken);
    }

    private static string[] FilesIn(string directory) =>
        Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static readonly string[] AllGz = Served.Keys.Order(StringComparer.Ordinal).ToArray();

    // ---- resolution ----

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Explicit_directory_wins_over_environment_and_cache()
    {
        string dir = Mnist.ResolveDataDirectory("/data/explicit", Env(("GANDSL_DATA", "/data/env"), ("HOME", "/home/u")), windows: false);
        Assert.Equal(Path.GetFullPath("/data/explicit"), dir);
    }

    [Fact]
    public void Environment_wins_over_cache()
    {
        string dir = Mnist.ResolveDataDirectory(null, Env(("GANDSL_DATA", "/data/env"), ("HOME", "/home/u")), windows: false);
        Assert.Equal(Path.GetFullPath("/data/env"), dir);
        Assert.Equal(dir, Mnist.ResolveDataDirectory("  ", Env(("GANDSL_DATA", "/data/env")), windows: false));
    }

    [Fact]
    public void Relative_directories_are_made_absolute()
    {
        Assert.Equal(Path.GetFullPath("some/data"), Mnist.ResolveDataDirectory("some/data"));
        Assert.Equal(Path.GetFullPath("env-data"), Mnist.ResolveDataDirectory(null, Env(("GANDSL_DATA", "env-data")), windows: false));
    }

    [Fact]
    public void Cache_is_under_XDG_CACHE_HOME_then_HOME()
    {
        Assert.Equal(Path.Combine("/xdg/cache", "gandsl", "mnist"),
            Mnist.ResolveDataDirectory(null, Env(("XDG_CACHE_HOME", "/xdg/cache"), ("HOME", "/home/u")), windows: false));
        Assert.Equal(Path.Combine("/home/u", ".cache", "gandsl", "mnist"),
            Mnist.ResolveDataDirectory(null, Env(("HOME", "/home/u")), windows: false));
        // An empty GANDSL_DATA and a relative XDG_CACHE_HOME (invalid per the XDG spec) are ignored.
        Assert.Equal(Path.Combine("/home/u", ".cache", "gandsl", "mnist"),
            Mnist.ResolveDataDirectory(null, Env(("GANDSL_DATA", ""), ("XDG_CACHE_HOME", "rel/cache"), ("HOME", "/home/u")), windows: false));
    }

    [Fact]
    public void Cache_is_under_LOCALAPPDATA_on_Windows()
    {
        Assert.Equal(Path.Combine(@"C:\Users\u\AppData\Local", "GanDsl", "mnist"),
            Mnist.ResolveDataDirectory(null, Env(("LOCALAPPDATA", @"C:\Users\u\AppData\Local"), ("XDG_CACHE_HOME", "/x")), windows: true));
    }

    [Fact]
    public void Test_data_helper_walks_up_to_the_solution_then_over_to_shared()
    {
        string repo = Path.Combine(_temp.Path, "work", "main");
        string bin = Path.Combine(repo, "tests", "X", "bin", "Debug", "net10.0");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(repo, "GanDsl.sln"), "");

        Assert.Equal(Path.Combine(_temp.Path, "work", "shared", "data", "mnist"), TestData.FindMnistDirectory(bin, _ => null));
        Assert.Equal(Path.GetFullPath("/ci/mnist"), TestData.FindMnistDirectory(bin, Env(("GANDSL_DATA", "/ci/mnist"))));
    }

    // ---- loading and downloading ----

    [Fact]
    public async Task Downloads_missing_files_from_the_first_mirror()
    {
        string dir = Path.Combine(_temp.Path, "cache", "gandsl", "mnist"); // does not exist yet
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Ok(Served[FileOf(request)]));
        var log = new StringWriter();

        MnistData data = await LoadAsync(dir, handler, log);

        Assert.Equal(dir, data.Directory);
        Assert.Equal(6, data.Train.Count);
        Assert.Equal(3, data.Test.Count);
        Assert.Equal([7, 2, 1], data.Test.Labels.ToArray());
        Assert.Equal(AllGz, FilesIn(dir));
        foreach ((string name, byte[] bytes) in Served)
        {
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir, name)));
        }

        Assert.Equal(Mnist.FileNames.Select(n => MirrorA + n + ".gz"), handler.Requests);
        Assert.Contains($"downloading {MirrorA}train-images-idx3-ubyte.gz", log.ToString());
        Assert.Contains("MD5 verified", log.ToString());
    }

    [Fact]
    public async Task Http_error_and_md5_mismatch_fall_through_to_the_next_mirror()
    {
        string dir = _temp.Path;
        var handler = new FakeHttpHandler(request => request.RequestUri!.Host switch
        {
            "mirror-a.test" => FakeHttpHandler.Status(HttpStatusCode.NotFound),
            "mirror-b.test" => FakeHttpHandler.Ok([.. Served[FileOf(request)], 0]), // one byte too many
            _ => FakeHttpHandler.Ok(Served[FileOf(request)]),
        });
        var log = new StringWriter();

        MnistData data = await LoadAsync(dir, handler, log);

        Assert.Equal(6, data.Train.Count);
        Assert.Equal(AllGz, FilesIn(dir)); // the mismatching downloads were deleted
        string[] expected = Mnist.FileNames
            .SelectMany(n => new[] { MirrorA + n + ".gz", MirrorB + n + ".gz", MirrorC + "/" + n + ".gz" })
            .ToArray();
        Assert.Equal(expected, handler.Requests);
        Assert.Contains("HTTP 404 (Not Found)", log.ToString());
        Assert.Contains("MD5 mismatch", log.ToString());
        Assert.Contains("trying the next mirror", log.ToString());
    }

    [Fact]
    public async Task All_mirrors_failing_gives_a_message_with_the_directory_the_errors_and_the_fix()
    {
        string dir = Path.Combine(_temp.Path, "nowhere");
        var handler = new FakeHttpHandler(request => request.RequestUri!.Host switch
        {
            "mirror-a.test" => FakeHttpHandler.Status(HttpStatusCode.ServiceUnavailable),
            "mirror-b.test" => FakeHttpHandler.Ok([1, 2, 3]),
            _ => throw new HttpRequestException("Name or service not known (mirror-c.test:443)"),
        });

        var e = await Assert.ThrowsAsync<MnistNotFoundException>(() => LoadAsync(dir, handler));

        Assert.Equal(dir, e.Directory);
        Assert.Equal(Mnist.FileNames, e.MissingFiles);
        Assert.Empty(FilesIn(dir));
        string message = e.Message;
        Assert.Contains(Environment.NewLine, message);
        Assert.Contains($"4 of the 4 files are missing from {dir}", message);
        Assert.Contains("3 mirrors tried per file", message);
        foreach (string name in Mnist.FileNames)
        {
            Assert.Contains($"{name}.gz: {MirrorC}/{name}.gz: Name or service not known", message); // the last error
            Assert.Contains($"      {MirrorA}{name}.gz", message); // what to download
            Assert.Contains(name, e.DownloadErrors[name]);
        }

        Assert.Contains($"download these files into {dir}", message);
        Assert.Contains("--data DIR", message);
        Assert.Contains("GANDSL_DATA=DIR", message);
        Assert.Contains(MirrorB, message);
    }

    [Fact]
    public async Task Message_names_only_the_files_still_missing()
    {
        string dir = _temp.Path;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), Images(6, seed: 1));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Served["train-labels-idx1-ubyte.gz"]);
        var handler = new FakeHttpHandler(request => FileOf(request) == "t10k-images-idx3-ubyte.gz"
            ? FakeHttpHandler.Ok(Served[FileOf(request)])
            : FakeHttpHandler.Status(HttpStatusCode.Forbidden));

        var e = await Assert.ThrowsAsync<MnistNotFoundException>(() => LoadAsync(dir, handler));

        Assert.Equal(["t10k-labels-idx1-ubyte"], e.MissingFiles);
        Assert.Contains("1 of the 4 files are missing", e.Message);
        Assert.Contains("HTTP 403 (Forbidden)", e.Message);
        Assert.DoesNotContain("train-images-idx3-ubyte.gz:", e.Message);
        Assert.True(File.Exists(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"))); // the one that worked stays
    }

    [Fact]
    public async Task Only_missing_files_are_downloaded_and_raw_files_are_used()
    {
        string dir = _temp.Path;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), Images(6, seed: 1));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), CyclingLabels(6));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Served["t10k-images-idx3-ubyte.gz"]);
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Ok(Served[FileOf(request)]));

        MnistData data = await LoadAsync(dir, handler);

        Assert.Equal([MirrorA + "t10k-labels-idx1-ubyte.gz"], handler.Requests);
        Assert.Equal(ImagePixels(6, seed: 1), data.Train.Images.ToArray());
        Assert.Equal(3, data.Test.Count);
    }

    [Fact]
    public async Task Nothing_is_requested_when_all_files_are_present()
    {
        string dir = _temp.Path;
        foreach ((string name, byte[] bytes) in Served)
        {
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }

        var handler = new FakeHttpHandler(_ => throw new InvalidOperationException("no request expected"));
        MnistData data = await LoadAsync(dir, handler);

        Assert.Empty(handler.Requests);
        Assert.Equal(6, data.Train.Count);
    }

    [Fact]
    public async Task A_dropped_connection_leaves_no_file_behind()
    {
        string dir = _temp.Path;
        var handler = new FakeHttpHandler(request => request.RequestUri!.Host == "mirror-a.test"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StreamContent(new FailingAfterStream(Served[FileOf(request)][..20])),
            }
            : FakeHttpHandler.Status(HttpStatusCode.NotFound));

        var e = await Assert.ThrowsAsync<MnistNotFoundException>(() => LoadAsync(dir, handler));

        Assert.Empty(FilesIn(dir)); // neither the final name nor a temporary file
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        var log = new StringWriter();
        handler = new FakeHttpHandler(request => request.RequestUri!.Host == "mirror-a.test"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StreamContent(new FailingAfterStream(Served[FileOf(request)][..20])),
            }
            : FakeHttpHandler.Ok(Served[FileOf(request)]));

        MnistData data = await LoadAsync(dir, handler, log);

        Assert.Equal(6, data.Train.Count);
        Assert.Equal(AllGz, FilesIn(dir));
        Assert.Contains("connection reset by peer", log.ToString());
        Assert.Contains("HTTP 404", e.Message);
    }

    [Fact]
    public async Task A_body_shorter_than_its_Content_Length_is_rejected()
    {
        string dir = _temp.Path;
        var handler = new FakeHttpHandler(request =>
        {
            byte[] full = Served[FileOf(request)];
            if (request.RequestUri!.Host != "mirror-a.test")
            {
                return FakeHttpHandler.Ok(full);
            }

            var response = FakeHttpHandler.Ok(full[..(full.Length / 2)]);
            response.Content.Headers.ContentLength = full.Length;
            return response;
        });
        var log = new StringWriter();

        await LoadAsync(dir, handler, log);

        Assert.Contains("incomplete download", log.ToString());
        Assert.Equal(AllGz, FilesIn(dir));
    }

    [Fact]
    public async Task Cancellation_stops_the_download_and_leaves_nothing()
    {
        string dir = _temp.Path;
        using var cancel = new CancellationTokenSource();
        var handler = new FakeHttpHandler(request =>
        {
            cancel.Cancel();
            return FakeHttpHandler.Ok(Served[FileOf(request)]);
        });
        using var http = new HttpClient(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Mnist.LoadAsync(dir, null, http, Source, _ => null, cancel.Token));

        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task An_uncreatable_directory_is_reported_without_trying_to_download()
    {
        string blocker = Path.Combine(_temp.Path, "a-file");
        File.WriteAllText(blocker, "not a directory");
        string dir = Path.Combine(blocker, "mnist");
        var handler = new FakeHttpHandler(_ => throw new InvalidOperationException("no request expected"));

        var e = await Assert.ThrowsAsync<MnistNotFoundException>(() => LoadAsync(dir, handler));

        Assert.Empty(handler.Requests);
        Assert.Contains("cannot create the directory", e.Message);
        Assert.Contains(dir, e.Message);
    }

    [Fact]
    public async Task Train_and_test_image_sizes_must_agree()
    {
        string dir = _temp.Path;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), Images(2));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), CyclingLabels(2));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), Images(2, rows: 14, cols: 14));
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), CyclingLabels(2));

        var e = await Assert.ThrowsAsync<MnistFormatException>(
            () => LoadAsync(dir, new FakeHttpHandler(_ => throw new InvalidOperationException())));

        Assert.Equal(Path.Combine(dir, "t10k-images-idx3-ubyte"), e.FilePath);
        Assert.Contains("the test images are 14x14 but the training images are 28x28", e.Message);
    }

    [Fact]
    public void Default_source_lists_the_usual_mirrors_and_the_readme_md5s()
    {
        Assert.Equal(
            ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/", "https://yann.lecun.com/exdb/mnist/"],
            Mnist.Mirrors);
        Assert.Equal("f68b3c2dcbeaaa9fbdd348bbdeb94873", MnistDownloadSource.Default.Md5["train-images-idx3-ubyte.gz"]);
        Assert.Equal("d53e105ee54ea40749a09fcbcd1e9432", MnistDownloadSource.Default.Md5["train-labels-idx1-ubyte.gz"]);
        Assert.Equal("9fb629c4189551a2d022fa330f9573f3", MnistDownloadSource.Default.Md5["t10k-images-idx3-ubyte.gz"]);
        Assert.Equal("ec29112dd5afa0611ce80d1b7f02629c", MnistDownloadSource.Default.Md5["t10k-labels-idx1-ubyte.gz"]);
    }

    [Fact]
    public void Public_Load_uses_the_given_directory_and_client()
    {
        string dir = _temp.Path;
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(HttpStatusCode.NotFound));
        using var http = new HttpClient(handler);

        var e = Assert.Throws<MnistNotFoundException>(() => Mnist.Load(dir, null, http));

        Assert.Equal(12, handler.Requests.Count); // 4 files x 3 default mirrors
        Assert.StartsWith("https://ossci-datasets.s3.amazonaws.com/mnist/", handler.Requests[0]);
        Assert.Contains("HTTP 404", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }
}
