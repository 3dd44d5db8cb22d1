namespace GanDsl.Checkpoints;

/// <summary>
/// A checkpoint file is malformed or does not fit what the reader expects. The message is
/// <c>"{FilePath}: {Problem}"</c>, so it names the file and says exactly what is wrong with it.
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Reports <paramref name="problem"/> in the file <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file at fault, as it should appear in the message.</param>
    /// <param name="problem">What is wrong with it, one sentence without the file name.</param>
    public CheckpointFormatException(string filePath, string problem)
        : this(filePath, problem, innerException: null)
    {
    }

    /// <summary>Reports <paramref name="problem"/> in the file <paramref name="filePath"/>, caused by <paramref name="innerException"/>.</summary>
    /// <param name="filePath">The file at fault, as it should appear in the message.</param>
    /// <param name="problem">What is wrong with it, one sentence without the file name.</param>
    /// <param name="innerException">The lower-level failure behind the problem, if any.</param>
    public CheckpointFormatException(string filePath, string problem, Exception? innerException)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with the file, without its name.</summary>
    public string Problem { get; }
}
