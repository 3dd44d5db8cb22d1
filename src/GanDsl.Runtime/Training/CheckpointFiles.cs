using System.Globalization;
using System.Text.RegularExpressions;

namespace GanDsl;

/// <summary>Naming and finding the checkpoints a trainer writes into its checkpoint directory.</summary>
public static partial class CheckpointFiles
{
    /// <summary>The file name for a checkpoint after <paramref name="epochs"/> epochs and <paramref name="step"/> steps.</summary>
    public static string Name(int epochs, long step) =>
        string.Create(CultureInfo.InvariantCulture, $"checkpoint_e{epochs:D3}_s{step:D8}.safetensors");

    /// <summary>The checkpoints in <paramref name="directory"/>, oldest (lowest step) first; none when it does not exist.</summary>
    public static IReadOnlyList<string> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateFiles(directory, "checkpoint_*.safetensors")
            .Select(path => (Path: path, Match: NamePattern().Match(Path.GetFileName(path))))
            .Where(f => f.Match.Success)
            .OrderBy(f => long.Parse(f.Match.Groups["step"].Value, CultureInfo.InvariantCulture))
            .Select(f => f.Path)
            .ToList();
    }

    /// <summary>
    /// <paramref name="pathOrLatest"/> itself, or for <c>latest</c> the newest checkpoint in
    /// <paramref name="directory"/>; throws <see cref="FileNotFoundException"/> saying where it looked.
    /// </summary>
    public static string Resolve(string pathOrLatest, string directory) => Resolve(pathOrLatest, directory, "to resume from");

    /// <summary><see cref="Resolve(string, string)"/>, saying what the checkpoint is for (<c>to evaluate</c>) when there is none.</summary>
    public static string Resolve(string pathOrLatest, string directory, string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathOrLatest);
        if (pathOrLatest == "latest")
        {
            var all = List(directory);
            return all.Count > 0
                ? all[^1]
                : throw new FileNotFoundException($"No checkpoint {purpose} in {Path.GetFullPath(directory)} (files named checkpoint_eNNN_sNNNNNNNN.safetensors).");
        }

        return File.Exists(pathOrLatest)
            ? pathOrLatest
            : throw new FileNotFoundException($"No checkpoint at {Path.GetFullPath(pathOrLatest)}.", pathOrLatest);
    }

    [GeneratedRegex(@"^checkpoint_e(?<epoch>\d+)_s(?<step>\d+)\.safetensors$")]
    private static partial Regex NamePattern();
}
