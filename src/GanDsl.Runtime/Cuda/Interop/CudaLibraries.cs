using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GanDsl.Cuda.Interop;

/// <summary>
/// Finds the CUDA driver, NVRTC and cuBLAS at run time. The <c>[LibraryImport]</c> declarations name
/// logical libraries (<see cref="Driver"/>, <see cref="Nvrtc"/>, <see cref="Cublas"/>); this resolver maps
/// each to the first versioned file that loads, looking in <c>GANDSL_CUDA_LIB_DIR</c> (one folder or a
/// list, separated as PATH is), <c>CUDA_PATH</c>,
/// <c>/usr/local/cuda</c>, then the system's library path. Nothing CUDA ships with GanDsl.
/// </summary>
internal static class CudaLibraries
{
    /// <summary>The CUDA driver API (libcuda).</summary>
    public const string Driver = "gandsl-cuda-driver";

    /// <summary>The runtime compiler (libnvrtc).</summary>
    public const string Nvrtc = "gandsl-nvrtc";

    /// <summary>cuBLAS (libcublas).</summary>
    public const string Cublas = "gandsl-cublas";

    /// <summary>The environment variable naming an extra folder to search first.</summary>
    public const string DirectoryVariable = "GANDSL_CUDA_LIB_DIR";

    private static readonly Lock s_gate = new();
    private static readonly Dictionary<string, (nint Handle, string Detail)> s_loaded = new();

    /// <summary>File names tried for <paramref name="library"/>, newest CUDA first.</summary>
    public static IReadOnlyList<string> Candidates(string library) => (library, OperatingSystem.IsWindows()) switch
    {
        (Driver, false) => ["libcuda.so.1", "libcuda.so"],
        (Driver, true) => ["nvcuda.dll"],
        (Nvrtc, false) => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"],
        (Nvrtc, true) => ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
        (Cublas, false) => ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
        (Cublas, true) => ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"],
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, "not a GanDsl CUDA library"),
    };

    /// <summary>Folders searched before the system's library path, in order (those that are set).</summary>
    public static IReadOnlyList<string> Directories()
    {
        var folders = new List<string>();
        void Add(string? folder)
        {
            if (!string.IsNullOrWhiteSpace(folder) && !folders.Contains(folder))
            {
                folders.Add(folder);
            }
        }

        foreach (string folder in (Environment.GetEnvironmentVariable(DirectoryVariable) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Add(folder);
        }

        string? cudaPath = Environment.GetEnvironmentVariable("CUDA_PATH");
        if (!string.IsNullOrWhiteSpace(cudaPath))
        {
            Add(Path.Combine(cudaPath, OperatingSystem.IsWindows() ? "bin" : "lib64"));
            Add(Path.Combine(cudaPath, "lib"));
        }

        if (!OperatingSystem.IsWindows())
        {
            Add("/usr/local/cuda/lib64");
        }

        return folders;
    }

    /// <summary>
    /// Loads <paramref name="library"/> (once) and returns its handle, or returns false with one sentence
    /// saying what was looked for and where.
    /// </summary>
    public static bool TryLoad(string library, out nint handle, out string detail)
    {
        lock (s_gate)
        {
            if (!s_loaded.TryGetValue(library, out var entry))
            {
                entry = Search(Candidates(library), Directories(), Describe(library));
                s_loaded[library] = entry;
            }

            (handle, detail) = entry;
            return handle != 0;
        }
    }

    /// <summary>Loads <paramref name="library"/> or throws <see cref="CudaUnavailableException"/> saying what is missing.</summary>
    public static nint Load(string library) =>
        TryLoad(library, out nint handle, out string detail) ? handle : throw new CudaUnavailableException(detail);

    /// <summary>
    /// The first of <paramref name="names"/> that loads from <paramref name="folders"/> (in order) or
    /// else from the system's library path; the handle (0 if none) and the file used or what was tried.
    /// </summary>
    internal static (nint Handle, string Detail) Search(IReadOnlyList<string> names, IReadOnlyList<string> folders, string what)
    {
        foreach (string folder in folders)
        {
            foreach (string name in names)
            {
                string path = Path.Combine(folder, name);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out nint handle))
                {
                    return (handle, path);
                }
            }
        }

        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                return (handle, name);
            }
        }

        string where = folders.Count == 0 ? "the system's library path" : string.Join(", ", folders) + " and the system's library path";
        return (0, $"{what} was not found: tried {string.Join(", ", names)} in {where}; install it or set {DirectoryVariable} to its folder");
    }

    private static string Describe(string library) => library switch
    {
        Driver => "The NVIDIA CUDA driver (an NVIDIA GPU with its driver installed)",
        Nvrtc => "NVRTC (CUDA's runtime compiler)",
        _ => "cuBLAS",
    };

    // Every [LibraryImport] of this assembly that names one of the logical libraries comes here first.
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before any CUDA call.")]
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, static (name, _, _) =>
            name is Driver or Nvrtc or Cublas ? Load(name) : 0);
}
