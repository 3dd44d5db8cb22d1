namespace GanDsl.Checkpoints;

/// <summary>
/// A well-formed checkpoint that does not fit this run: another model, another kind of file, or
/// options that cannot continue it. The message starts with the file's path, then says which.
/// </summary>
public sealed class CheckpointMismatchException(string filePath, string problem)
    : IOException($"{filePath}: {problem}")
{
    /// <summary>The checkpoint's path.</summary>
    public string FilePath { get; } = filePath;

    /// <summary>The problem without the path.</summary>
    public string Problem { get; } = problem;
}
