namespace GanDsl.IO;

/// <summary>
/// Creates or replaces files atomically. The content goes to a temporary file in the same
/// directory (<c>{name}.tmp-{random}</c>), which is flushed to the disk and then renamed over the
/// target, so a reader sees either the old file or the complete new one, never a partial file, even
/// when the process dies or the machine loses power mid-write. When writing fails, the temporary file
/// is deleted and the target is left as it was.
/// </summary>
/// <remarks>
/// A process killed mid-write can leave its temporary file behind (nothing runs to delete it); the
/// target is still intact, later writes use fresh temporary names, and the next successful write into
/// the same directory deletes temporary files of this pattern left there more than a minute ago. The
/// rename is atomic on the same volume, which the temporary file's location guarantees.
/// </remarks>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>
    /// Writes <paramref name="path"/> atomically with <paramref name="write"/>, creating its directory
    /// when missing. Exceptions from <paramref name="write"/> propagate after the cleanup.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">
    /// Writes the whole content to the stream it is given, from its start. It must leave the stream
    /// open (pass <c>leaveOpen: true</c> to any <see cref="StreamWriter"/> or similar wrapper).
    /// </param>
    public static void Write(string path, Action<Stream> write) => Write(path, write, wrapStream: null);

    /// <summary>Creates or replaces <paramref name="path"/> atomically with <paramref name="bytes"/>, creating its directory when missing.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="bytes">The whole content.</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes) =>
        WriteCore(path, bytes, static (stream, content) => stream.Write(content), wrapStream: null);

    /// <summary>
    /// <see cref="Write(string, Action{Stream})"/>, with a hook for tests: <paramref name="wrapStream"/>
    /// gets the temporary file's stream and returns the stream handed to <paramref name="write"/>,
    /// for instance one that fails after some bytes, to simulate a crash mid-write.
    /// </summary>
    internal static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrapStream)
    {
        ArgumentNullException.ThrowIfNull(write);
        WriteCore(path, write, static (stream, callback) => callback(stream), wrapStream);
    }

    /// <summary>The temporary file, flush and rename; <paramref name="state"/> may be a span.</summary>
    private static void WriteCore<TState>(string path, TState state, Action<Stream, TState> write, Func<Stream, Stream>? wrapStream)
        where TState : allows ref struct
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new ArgumentException($"'{path}' names a directory, not a file.", nameof(path));
        }

        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory.", nameof(path));
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $"{name}.tmp-{Guid.NewGuid():N}");
        bool replaced = false;
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                Stream target = wrapStream?.Invoke(file) ?? file;
                write(target, state);
                target.Flush();
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
            replaced = true;
            RemoveStaleTemporaries(directory, StaleAfter);
        }
        finally
        {
            if (!replaced)
            {
                TryDelete(temp);
            }
        }
    }

    /// <summary>How old a leftover temporary file must be before a later write deletes it (a live writer's is younger).</summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Deletes the temporary files (<c>{name}.tmp-{32 hex digits}</c>) in <paramref name="directory"/> last written
    /// more than <paramref name="age"/> ago: those of writes a killed process never finished. Quiet on failure.
    /// </summary>
    internal static void RemoveStaleTemporaries(string directory, TimeSpan age)
    {
        try
        {
            var cutoff = DateTime.UtcNow - age;
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*.tmp-*"))
            {
                int at = file.Name.LastIndexOf(".tmp-", StringComparison.Ordinal);
                string suffix = file.Name[(at + 5)..];
                if (suffix.Length == 32 && suffix.All(char.IsAsciiHexDigitLower) && file.LastWriteTimeUtc < cutoff)
                {
                    TryDelete(file.FullName);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Deletes <paramref name="path"/> if it exists, keeping quiet on failure so the original exception propagates.</summary>
    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
