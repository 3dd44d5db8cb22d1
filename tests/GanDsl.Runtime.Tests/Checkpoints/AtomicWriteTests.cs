using GanDsl.Checkpoints;
using GanDsl.IO;

namespace GanDsl.Tests.Checkpoints;

public sealed class AtomicWriteTests : IDisposable
{
    private readonly TestData.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Passes writes through until <c>budget</c> bytes have gone, writes what fits of the next one
    /// and then fails, as a disk filling up or a crash would leave things; optionally fails on flush.
    /// </summary>
    private sealed class CrashingStream(Stream inner, long budget, bool failOnFlush = false) : Stream
    {
        private long _left = budget;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (buffer.Length > _left)
            {
                inner.Write(buffer[..(int)_left]);
                _left = 0;
                throw new IOException("Simulated crash mid-write.");
            }

            inner.Write(buffer);
            _left -= buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
            if (failOnFlush)
            {
                throw new IOException("Simulated crash on flush.");
            }

            inner.Flush();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static SafetensorsTensor[] Version(float value) =>
    [
        new("g.weight", [4, 8], [.. Enumerable.Repeat(value, 32)]),
        new("g.bias", [4], [value, value, value, value]),
        new("step", [], [(long)value]),
    ];

    private static readonly long FileLength = Measure();

    private static long Measure()
    {
        var stream = new MemoryStream();
        SafetensorsFile.Write(stream, Version(2));
        return stream.Length;
    }

    public static TheoryData<long> CrashPoints => [0, 1, 7, 8, 9, 60, FileLength / 2, FileLength - 5, FileLength - 1];

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public void An_interrupted_overwrite_leaves_the_old_file_intact_and_no_temporary_file(long crashAfter)
    {
        string path = _dir.File("ckpt.safetensors");
        SafetensorsFile.Write(path, Version(1), new Dictionary<string, string> { ["version"] = "1" });
        byte[] before = File.ReadAllBytes(path);

        var error = Assert.Throws<IOException>(() =>
            SafetensorsFile.Write(path, Version(2), metadata: null, wrapStream: file => new CrashingStream(file, crashAfter)));

        Assert.Equal("Simulated crash mid-write.", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));
        Assert.Equal("1", SafetensorsFile.Read(path).Metadata["version"]);
    }

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public void An_interrupted_first_write_leaves_no_file(long crashAfter)
    {
        string path = _dir.File("ckpt.safetensors");

        Assert.Throws<IOException>(() =>
            SafetensorsFile.Write(path, Version(2), metadata: null, wrapStream: file => new CrashingStream(file, crashAfter)));

        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void A_failed_flush_leaves_the_old_file_intact()
    {
        string path = _dir.File("ckpt.safetensors");
        SafetensorsFile.Write(path, Version(1));
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<IOException>(() =>
            SafetensorsFile.Write(path, Version(2), null, file => new CrashingStream(file, long.MaxValue, failOnFlush: true)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void The_whole_file_passes_through_the_hook_when_nothing_fails()
    {
        string path = _dir.File("ckpt.safetensors");

        SafetensorsFile.Write(path, Version(2), null, file => new CrashingStream(file, FileLength));

        Assert.Equal(FileLength, new FileInfo(path).Length);
        Assert.Equal([2f, 2f, 2f, 2f], SafetensorsFile.Read(path).GetFloat32("g.bias", 4));
    }

    [Fact]
    public void A_successful_overwrite_replaces_the_file()
    {
        string path = _dir.File("ckpt.safetensors");
        SafetensorsFile.Write(path, Version(1));
        SafetensorsFile.Write(path, Version(2), new Dictionary<string, string> { ["version"] = "2" });

        SafetensorsFile file = SafetensorsFile.Read(path);
        Assert.Equal("2", file.Metadata["version"]);
        Assert.Equal([2L], file["step"].AsInt64());
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void Writing_creates_missing_directories()
    {
        string path = Path.Combine(_dir.Path, "runs", "7", "ckpt.safetensors");

        SafetensorsFile.Write(path, Version(3));

        Assert.Equal([3L], SafetensorsFile.Read(path)["step"].AsInt64());
    }

    [Fact]
    public void AtomicFile_writes_exactly_what_the_callback_writes()
    {
        string path = _dir.File("grid.png");
        File.WriteAllBytes(path, [9, 9, 9, 9, 9, 9]);

        AtomicFile.Write(path, stream => stream.Write([1, 2, 3]));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void AtomicFile_WriteAllBytes_creates_and_replaces_files()
    {
        string path = Path.Combine(_dir.Path, "plots", "loss.png");

        AtomicFile.WriteAllBytes(path, [1, 2, 3, 4]);
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(path));
        AtomicFile.WriteAllBytes(path, new byte[] { 9, 8, 7, 6, 5 }.AsSpan(1, 2));
        Assert.Equal([8, 7], File.ReadAllBytes(path));
        AtomicFile.WriteAllBytes(path, []);
        Assert.Empty(File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void AtomicFile_cleans_up_when_the_callback_throws()
    {
        string existing = _dir.File("stats.csv");
        File.WriteAllBytes(existing, [4, 5, 6]);
        string fresh = _dir.File("new.csv");

        var thrown = new InvalidOperationException("callback failed");
        Assert.Same(thrown, Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(existing, stream =>
        {
            stream.Write([1, 2]);
            throw thrown;
        })));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(fresh, stream =>
        {
            stream.Write([1, 2]);
            throw thrown;
        }));

        Assert.Equal([4, 5, 6], File.ReadAllBytes(existing));
        Assert.Equal([existing], Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void AtomicFile_refuses_a_directory_path()
    {
        Assert.Throws<ArgumentException>(() => AtomicFile.Write(_dir.Path + Path.DirectorySeparatorChar, _ => { }));
        Assert.Throws<ArgumentException>(() => AtomicFile.Write("", _ => { }));
    }
}
