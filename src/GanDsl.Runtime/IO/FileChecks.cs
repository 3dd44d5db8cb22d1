namespace GanDsl.IO;

/// <summary>What is wrong with a path a reader is about to open, said before opening it (a pipe would block the open).</summary>
internal static class FileChecks
{
    /// <summary>
    /// Null when <paramref name="path"/> is a non-empty file; else why not: a directory, missing, or empty, which is
    /// also how a pipe or a device looks (a named pipe would block a reader forever).
    /// </summary>
    public static string? Problem(string path)
    {
        if (Directory.Exists(path))
        {
            return "is a directory, not a file";
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null; // the open says it is missing, with the runtime's own message
        }

        return file.Length == 0 ? "is empty (0 bytes), or not a regular file (a pipe or a device)" : null;
    }
}
