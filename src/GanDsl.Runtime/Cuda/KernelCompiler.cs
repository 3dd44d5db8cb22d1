using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using GanDsl.Cuda.Interop;
using GanDsl.IO;

namespace GanDsl.Cuda;

/// <summary>
/// Compiles CUDA C to a cubin for one GPU architecture with NVRTC, and caches the result on disk,
/// keyed by a hash of the source, the architecture, the options and NVRTC's version: a network's
/// kernels compile once per machine. NVRTC needs no GPU, so this works (and is tested) anywhere
/// NVRTC is installed.
/// </summary>
internal sealed partial class KernelCompiler
{
    // IEEE fp32 math as the CPU backend does it: no fast math, and no fused multiply-adds (the C# kernels
    // round each product), so elementwise kernels agree with the CPU to the last bit where the order does.
    private static readonly string[] s_options = ["--std=c++17", "--fmad=false"];

    private KernelCompiler(int major, int minor, string? cacheDirectory, IReadOnlyList<int> architectures)
    {
        Version = new Version(major, minor);
        CacheDirectory = cacheDirectory;
        SupportedArchitectures = architectures;
    }

    /// <summary>The real architectures this NVRTC compiles for, e.g. 80 for sm_80 (empty when it cannot say).</summary>
    public IReadOnlyList<int> SupportedArchitectures { get; }

    /// <summary>NVRTC's version (e.g. 12.4).</summary>
    public Version Version { get; }

    /// <summary>Where compiled cubins are kept; null for no cache.</summary>
    public string? CacheDirectory { get; }

    /// <summary>The default cache folder: <c>kernels</c> under <see cref="UserCache.Root"/>.</summary>
    public static string DefaultCacheDirectory => Path.Combine(UserCache.Root, "kernels");

    /// <summary>
    /// A compiler over the NVRTC found by <see cref="CudaLibraries"/>; throws
    /// <see cref="CudaUnavailableException"/> saying what was looked for when there is none.
    /// </summary>
    public static KernelCompiler Create(string? cacheDirectory = null, bool cache = true)
    {
        CudaLibraries.Load(CudaLibraries.Nvrtc);
        Nvrtc.Check(Nvrtc.nvrtcVersion(out int major, out int minor), "nvrtcVersion");
        return new KernelCompiler(major, minor, cache ? cacheDirectory ?? DefaultCacheDirectory : null, Architectures());
    }

    /// <summary>
    /// The cubin of <paramref name="source"/> for compute capability <paramref name="major"/>.<paramref name="minor"/>
    /// (e.g. 9.0 for sm_90), from the cache when present. A compile error throws
    /// <see cref="KernelCompileException"/> with the failing kernel's name and NVRTC's log. When this NVRTC
    /// is older than the GPU (it cannot compile for that architecture), the result is instead PTX for the
    /// newest virtual architecture it knows, null-terminated, which the driver compiles when it loads it.
    /// </summary>
    /// <param name="source">CUDA C with <c>extern "C"</c> kernels.</param>
    /// <param name="programName">Names the program in messages and in NVRTC's log, e.g. the network's name.</param>
    /// <param name="major">Compute capability, major (8 for an A100, 9 for an H100).</param>
    /// <param name="minor">Compute capability, minor.</param>
    public byte[] Compile(string source, string programName, int major, int minor)
    {
        ArgumentNullException.ThrowIfNull(source);
        int wanted = 10 * major + minor;
        bool ptx = SupportedArchitectures.Count > 0 && !SupportedArchitectures.Contains(wanted) && SupportedArchitectures.Max() < wanted;
        string architecture = ptx ? $"compute_{SupportedArchitectures.Max()}" : $"sm_{major}{minor}";
        string? cached = CacheDirectory is null ? null : Path.Combine(CacheDirectory, $"{programName}-{architecture}-{Key(source, architecture)}.{(ptx ? "ptx" : "cubin")}");
        if (cached is not null && TryReadCached(cached) is { } hit)
        {
            return hit;
        }

        byte[] cubin = CompileUncached(source, programName, architecture, ptx);
        if (cached is not null)
        {
            try
            {
                Directory.CreateDirectory(CacheDirectory!);
                AtomicFile.WriteAllBytes(cached, cubin);
            }
            catch (IOException)
            {
                // A read-only or full cache costs a recompile next time, nothing more.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return cubin;
    }

    private string Key(string source, string architecture)
    {
        var text = $"{source}\n{architecture}\n{string.Join(' ', s_options)}\nnvrtc {Version}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 16).ToLowerInvariant();
    }

    // A cached file is used only when it is an ELF image (a torn or foreign file is recompiled over).
    private static byte[]? TryReadCached(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            byte[] bytes = File.ReadAllBytes(path);
            return IsElf(bytes) || IsPtx(bytes) ? bytes : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="image"/> starts with the ELF magic, as every cubin does.</summary>
    public static bool IsElf(ReadOnlySpan<byte> image) =>
        image.Length > 4 && image[0] == 0x7F && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    /// <summary>Whether <paramref name="image"/> is whole PTX text as NVRTC writes it (a <c>.version</c> line, a final NUL).</summary>
    public static bool IsPtx(ReadOnlySpan<byte> image) =>
        image.Length > 16 && image[^1] == 0 && image.IndexOf(".version "u8) >= 0 && image.IndexOf(".target "u8) >= 0;

    // The real architectures (sm_XY) this NVRTC can compile for; empty if it cannot say (then none is assumed missing).
    private static unsafe int[] Architectures()
    {
        try
        {
            if (Nvrtc.nvrtcGetNumSupportedArchs(out int count) != Nvrtc.Success || count <= 0)
            {
                return [];
            }

            var architectures = new int[count];
            fixed (int* a = architectures)
            {
                return Nvrtc.nvrtcGetSupportedArchs(a) == Nvrtc.Success ? architectures : [];
            }
        }
        catch (EntryPointNotFoundException)
        {
            return [];
        }
    }

    private static unsafe byte[] CompileUncached(string source, string programName, string architecture, bool ptx)
    {
        Nvrtc.Check(Nvrtc.nvrtcCreateProgram(out nint program, source, programName + ".cu", 0, 0, 0), "nvrtcCreateProgram");
        try
        {
            var options = s_options.Append($"--gpu-architecture={architecture}").ToArray();
            var pointers = new nint[options.Length];
            try
            {
                for (int i = 0; i < options.Length; i++)
                {
                    pointers[i] = Marshal.StringToCoTaskMemUTF8(options[i]);
                }

                int result;
                fixed (nint* p = pointers)
                {
                    result = Nvrtc.nvrtcCompileProgram(program, options.Length, (byte**)p);
                }

                if (result != Nvrtc.Success)
                {
                    string log = Log(program);
                    throw new KernelCompileException(programName, architecture, FailingKernel(source, log), log, Nvrtc.ErrorName(result));
                }
            }
            finally
            {
                foreach (nint pointer in pointers)
                {
                    Marshal.FreeCoTaskMem(pointer);
                }
            }

            if (ptx)
            {
                Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out nuint ptxSize), "nvrtcGetPTXSize");
                var text = new byte[(int)ptxSize];
                fixed (byte* p = text)
                {
                    Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p), "nvrtcGetPTX");
                }

                return text;
            }

            Nvrtc.Check(Nvrtc.nvrtcGetCUBINSize(program, out nuint size), "nvrtcGetCUBINSize");
            var cubin = new byte[(int)size];
            fixed (byte* p = cubin)
            {
                Nvrtc.Check(Nvrtc.nvrtcGetCUBIN(program, p), "nvrtcGetCUBIN");
            }

            return cubin;
        }
        finally
        {
            Nvrtc.nvrtcDestroyProgram(ref program);
        }
    }

    private static unsafe string Log(nint program)
    {
        if (Nvrtc.nvrtcGetProgramLogSize(program, out nuint size) != Nvrtc.Success || size <= 1)
        {
            return "";
        }

        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            Nvrtc.nvrtcGetProgramLog(program, p);
        }

        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1).Trim();
    }

    /// <summary>The kernel whose body holds the first line NVRTC's log complains about, or null.</summary>
    internal static string? FailingKernel(string source, string log)
    {
        var at = LogLine().Match(log);
        if (!at.Success || !int.TryParse(at.Groups[1].ValueSpan, out int line))
        {
            return null;
        }

        string? kernel = null;
        var lines = source.Split('\n');
        for (int i = 0; i < Math.Min(line, lines.Length); i++)
        {
            var declaration = KernelDeclaration().Match(lines[i]);
            if (declaration.Success)
            {
                kernel = declaration.Groups[1].Value;
            }
        }

        return kernel;
    }

    [GeneratedRegex(@"\((\d+)\): (?:error|catastrophic error)")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"__global__\s+void\s+(\w+)\s*\(")]
    private static partial Regex KernelDeclaration();
}

/// <summary>NVRTC rejected a program: the message names the program, the architecture, the kernel and NVRTC's log.</summary>
public sealed class KernelCompileException(string program, string architecture, string? kernel, string log, string error)
    : Exception($"NVRTC could not compile {(kernel is null ? "" : $"kernel {kernel} of ")}{program} for {architecture} ({error}):\n{log}")
{
    /// <summary>The program (network or runtime kernel set).</summary>
    public string Program { get; } = program;

    /// <summary>The kernel holding the first error, when the log says where.</summary>
    public string? Kernel { get; } = kernel;

    /// <summary>NVRTC's compile log.</summary>
    public string Log { get; } = log;
}
