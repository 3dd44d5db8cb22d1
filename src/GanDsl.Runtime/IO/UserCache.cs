namespace GanDsl.IO;

/// <summary>
/// GanDsl's per-user cache folder: <c>$XDG_CACHE_HOME/gandsl</c> or <c>~/.cache/gandsl</c> on Linux
/// and macOS, <c>%LOCALAPPDATA%\GanDsl</c> on Windows. MNIST and the reference classifier live below it.
/// </summary>
internal static class UserCache
{
    /// <summary>The cache folder (it need not exist yet).</summary>
    public static string Root => GetRoot(Environment.GetEnvironmentVariable, OperatingSystem.IsWindows());

    /// <summary><see cref="Root"/> with the environment and platform injected, for tests.</summary>
    internal static string GetRoot(Func<string, string?> environment, bool windows)
    {
        if (windows)
        {
            string? local = NonEmpty(environment("LOCALAPPDATA"))
                ?? NonEmpty(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData));
            return Path.Combine(local ?? Path.GetTempPath(), "GanDsl");
        }

        // XDG: a relative XDG_CACHE_HOME is invalid and is ignored.
        string? xdg = NonEmpty(environment("XDG_CACHE_HOME"));
        if (xdg is not null && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "gandsl");
        }

        string? home = NonEmpty(environment("HOME"))
            ?? NonEmpty(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        return home is null ? Path.Combine(Path.GetTempPath(), "gandsl") : Path.Combine(home, ".cache", "gandsl");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
