using System.Diagnostics;
using GanDsl.Backends.Cpu;
using GanDsl.Data;
using GanDsl.IO;
using GanDsl.Tests.Models;
using static GanDsl.Tests.Data.IdxBytes;

namespace GanDsl.Tests.Data;

/// <summary>Files that are not what their names say: pipes, directories, MNIST of another size, leftovers of killed writes; and sizes memory cannot hold.</summary>
public sealed class BadFileTests : IDisposable
{
    private readonly TestData.TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task APipeInPlaceOfADataFileIsRefusedNotWaitedOn()
    {
        string fifo = _temp.File("train-images-idx3-ubyte");
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // Opening a FIFO with no writer blocks forever; the reader must say what it is first.
        var read = Task.Run(() => IdxReader.ReadImages(fifo), TestContext.Current.CancellationToken);
        var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.Same(read, finished);
        var e = await Assert.ThrowsAnyAsync<IOException>(() => read);
        Assert.Contains(fifo, e.Message);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void ADirectoryNamedLikeADataFileIsReportedNotDownloadedBeside()
    {
        string dir = _temp.File("mnist");
        foreach (var name in Mnist.FileNames)
        {
            Directory.CreateDirectory(Path.Combine(dir, name));
        }

        // No HTTP client is reachable here: a download attempt would fail with another message.
        var e = Assert.ThrowsAny<IOException>(() => Mnist.Load(dir));
        Assert.Contains("is a directory", e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }

    [Fact]
    public void MnistFilesOfAnotherImageSizeAreRefusedByTheLoader()
    {
        string dir = WriteMnist(_temp.File("small"), 10, 10, rows: 8, cols: 8);
        var e = Assert.Throws<MnistFormatException>(() => Mnist.Load(dir));
        Assert.Contains("8x8", e.Message);
        Assert.Contains("28x28", e.Message);
    }

    [Fact]
    public void TemporaryFilesOfKilledWritesAreRemovedByTheNextWrite()
    {
        string dir = _temp.File("checkpoints");
        Directory.CreateDirectory(dir);
        string stale = Path.Combine(dir, "checkpoint_e001_s00000010.safetensors.tmp-" + new string('a', 32));
        string fresh = Path.Combine(dir, "checkpoint_e002_s00000020.safetensors.tmp-" + new string('b', 32));
        string other = Path.Combine(dir, "notes.tmp-mine");
        foreach (var path in new[] { stale, fresh, other })
        {
            File.WriteAllBytes(path, new byte[1000]);
        }

        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddHours(-1));
        AtomicFile.WriteAllBytes(Path.Combine(dir, "out.bin"), [1, 2, 3]);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a temporary file a live writer may still be writing is kept");
        Assert.True(File.Exists(other), "files of other patterns are not ours to delete");
    }

    [Fact]
    public void ABatchTooLargeForMemoryIsRefusedBeforeAnythingIsAllocated()
    {
        using var backend = new CpuBackend(1);
        using var g = new SeedGenerator(backend, 1);
        using var d = new SeedDiscriminator(backend, 2);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var e = Assert.Throws<InsufficientMemoryException>(() => new GanTrainer(g, d, new GanOptions { BatchSize = 1_500_000_000 }));
        Assert.Contains("1,500,000,000 rows", e.Message);
        Assert.Contains("smaller batch", e.Message);
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 100 << 20, "nothing large was allocated");
    }
}
