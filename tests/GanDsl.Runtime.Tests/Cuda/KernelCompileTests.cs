using System.Text;
using System.Text.RegularExpressions;
using GanDsl.Cuda;
using GanDsl.Cuda.Interop;
using GanDsl.Tests.Models;

namespace GanDsl.Tests.Cuda;

/// <summary>
/// Every CUDA kernel GanDsl produces (each sample network's generated kernels and the runtime's own)
/// compiled by NVRTC for sm_80 and sm_90; compile errors, the cubin cache and library resolution.
/// NVRTC needs no GPU. Without NVRTC these tests report a skip with the reason, except under CI
/// (CI=true), where .ci/run installs it and a missing NVRTC fails them.
/// </summary>
public sealed partial class KernelCompileTests
{
    public static TheoryData<string, int> Programs()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Sources.Keys)
        {
            data.Add(name, 80);
            data.Add(name, 90);
        }

        return data;
    }

    // Program name -> CUDA source: the sample networks (the seed GAN's as the tests declare it), a
    // network with BatchNorm and transposed convolutions, the runtime's kernels and the generated loss kernels.
    private static readonly Dictionary<string, string> Sources = new()
    {
        ["SeedGenerator"] = SeedGenerator.Definition.CudaSource!,
        ["SeedDiscriminator"] = SeedDiscriminator.Definition.CudaSource!,
        ["ConditionalGenerator"] = ConditionalGan.ConditionalGenerator.Definition.CudaSource!,
        ["ConditionalDiscriminator"] = ConditionalGan.ConditionalDiscriminator.Definition.CudaSource!,
        ["DcganGenerator"] = Dcgan.DcganGenerator.Definition.CudaSource!,
        ["DcganDiscriminator"] = Dcgan.DcganDiscriminator.Definition.CudaSource!,
        ["WganCritic"] = Wgan.WganCritic.Definition.CudaSource!,
        ["WganGpGenerator"] = WganGp.WganGpGenerator.Definition.CudaSource!,
        ["TransposedNet"] = TransposedNet.Definition.CudaSource!,
        ["ExponentialNet"] = ExponentialNet.Definition.CudaSource!,
        [RuntimeKernels.ProgramName] = RuntimeKernels.Source,
        [GanDsl.Backends.LossKernels.ProgramName] = GanDsl.Backends.LossKernels.CudaSource,
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void EveryKernelCompilesForTheArchitecture(string program, int architecture)
    {
        var compiler = RequireCompiler(cache: false);
        string source = Sources[program];
        Assert.False(string.IsNullOrEmpty(source), $"{program} has no CUDA source");
        var kernels = KernelDeclaration().Matches(source).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(kernels);

        byte[] cubin = compiler.Compile(source, program, architecture / 10, architecture % 10);
        Assert.True(KernelCompiler.IsElf(cubin), $"{program}: NVRTC's output for sm_{architecture} is not an ELF cubin");

        // Each extern "C" kernel is a symbol of the image under its own name.
        string image = Encoding.Latin1.GetString(cubin);
        Assert.All(kernels, k => Assert.Contains("\0" + k + "\0", image));
    }

    [Fact]
    public void GeneratedSourcesDeclareEveryFusedKernelTheCpuLaunches()
    {
        // The DCGAN generator: bias-free transposed convolutions feed BatchNorm (normalize + backward
        // reduce), and the last one's Tanh (activation + its gradient).
        string source = Dcgan.DcganGenerator.Definition.CudaSource!;
        foreach (string kernel in new[] { "stage1_normalize", "stage1_backwardreduce", "stage6_activation", "stage6_activationgradient" })
        {
            Assert.Contains($"void {kernel}(", source);
        }

        // The seed discriminator: Dense + LeakyRelu twice (bias fused), then Dense(1) as narrow kernels (dot products
        // plus bias; weight, bias and input gradients in one pass; the input gradient alone), which also do the second
        // layer's activation derivative and bias gradient, so that layer has no backward kernel of its own.
        string seed = SeedDiscriminator.Definition.CudaSource!;
        Assert.Equal(["stage0_forward", "stage0_backward", "stage0_activation", "stage0_activationgradient",
            "stage1_forward", "stage1_activation", "stage1_activationgradient",
            "stage2_narrowforward", "stage2_narrowbackward", "stage2_narrowinputgradient"],
            KernelDeclaration().Matches(seed).Select(m => m.Groups[1].Value));
        Assert.Contains("(z > 0.0f ? z : (0.2f * z))", seed);
        Assert.All(RuntimeKernels.Names, k => Assert.Contains($"void {k}(", RuntimeKernels.Source));
    }

    [Fact]
    public void ACompileErrorNamesTheKernelAndCarriesTheLog()
    {
        var compiler = RequireCompiler(cache: false);
        const string source = """
            extern "C" __global__ void fine(float* x) { x[threadIdx.x] = 1.0f; }

            extern "C" __global__ void broken(float* x)
            {
                x[threadIdx.x] = undeclared_name;
            }
            """;
        var e = Assert.Throws<KernelCompileException>(() => compiler.Compile(source, "BrokenNet", 9, 0));
        Assert.Equal("broken", e.Kernel);
        Assert.Equal("BrokenNet", e.Program);
        Assert.Contains("undeclared_name", e.Log);
        Assert.Contains("kernel broken of BrokenNet for sm_90", e.Message);
    }

    [Fact]
    public void CompiledKernelsAreCachedAndABadCacheFileIsRecompiled()
    {
        using var temp = new TestData.TempDirectory();
        var compiler = RequireCompiler(cache: true, temp.Path);
        string source = SeedGenerator.Definition.CudaSource!;
        byte[] first = compiler.Compile(source, "SeedGenerator", 8, 0);
        string file = Assert.Single(Directory.GetFiles(temp.Path, "SeedGenerator-sm_80-*.cubin"));
        Assert.Equal(first, File.ReadAllBytes(file));

        // Same key, same bytes, from the file.
        File.SetLastWriteTimeUtc(file, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(first, compiler.Compile(source, "SeedGenerator", 8, 0));
        Assert.Equal(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(file));

        // Another architecture or another source is another entry.
        compiler.Compile(source, "SeedGenerator", 9, 0);
        compiler.Compile(source + "\n// changed\n", "SeedGenerator", 8, 0);
        Assert.Equal(3, Directory.GetFiles(temp.Path, "*.cubin").Length);

        // A torn or foreign file is not trusted: recompiled and rewritten.
        File.WriteAllBytes(file, [1, 2, 3]);
        Assert.Equal(first, compiler.Compile(source, "SeedGenerator", 8, 0));
        Assert.Equal(first, File.ReadAllBytes(file));
    }

    [Fact]
    public void AGpuNewerThanNvrtcGetsPtxForTheNewestArchitectureItKnows()
    {
        using var temp = new TestData.TempDirectory();
        var compiler = RequireCompiler(cache: true, temp.Path);
        Assert.NotEmpty(compiler.SupportedArchitectures);
        Assert.Contains(80, compiler.SupportedArchitectures);
        int newest = compiler.SupportedArchitectures.Max();

        // A compute capability beyond every architecture this NVRTC knows (99.0): PTX, which the driver JIT-compiles.
        byte[] image = compiler.Compile(SeedGenerator.Definition.CudaSource!, "SeedGenerator", 99, 0);
        Assert.False(KernelCompiler.IsElf(image));
        Assert.True(KernelCompiler.IsPtx(image), "expected NUL-terminated PTX text");
        string text = Encoding.ASCII.GetString(image, 0, image.Length - 1);
        Assert.Contains($".target sm_{newest}", text);
        Assert.Contains(".entry stage0_forward", text);
        Assert.Single(Directory.GetFiles(temp.Path, $"SeedGenerator-compute_{newest}-*.ptx"));
        Assert.Equal(image, compiler.Compile(SeedGenerator.Definition.CudaSource!, "SeedGenerator", 99, 0));
    }

    [Fact]
    public void AMissingLibrarySaysWhatWasTriedAndWhere()
    {
        var (handle, detail) = CudaLibraries.Search(["libgandsl-missing.so.13", "libgandsl-missing.so.12"], ["/nonexistent/cuda/lib64"], "NVRTC, CUDA's runtime compiler,");
        Assert.Equal(0, handle);
        Assert.Equal(
            "NVRTC, CUDA's runtime compiler, was not found: tried libgandsl-missing.so.13, libgandsl-missing.so.12 in /nonexistent/cuda/lib64 " +
            "and the system's library path; install it or set GANDSL_CUDA_LIB_DIR to its folder",
            detail);
    }

    [Fact]
    public void AFolderNamedFirstIsSearchedFirst()
    {
        RequireCompiler(cache: false);
        Assert.True(CudaLibraries.TryLoad(CudaLibraries.Nvrtc, out _, out string found));
        string? folder = Path.GetDirectoryName(found);
        if (string.IsNullOrEmpty(folder))
        {
            // Found by bare name through the system's search path: locate the file the loader used.
            folder = new[] { "/usr/lib/x86_64-linux-gnu", "/usr/local/cuda/lib64", "/usr/lib64" }
                .FirstOrDefault(d => File.Exists(Path.Combine(d, found)));
        }

        Assert.NotNull(folder);
        var (handle, detail) = CudaLibraries.Search(CudaLibraries.Candidates(CudaLibraries.Nvrtc), [folder], "NVRTC");
        Assert.NotEqual(0, handle);
        Assert.StartsWith(folder, detail);
    }

    // NVRTC or a skip saying why; under CI a missing NVRTC is a failure, never a skip.
    private static KernelCompiler RequireCompiler(bool cache, string? directory = null)
    {
        try
        {
            return KernelCompiler.Create(directory, cache);
        }
        catch (CudaUnavailableException e)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"CI must compile kernels, but {e.Message}. .ci/run installs Debian's libnvrtc11.2.");
            }

            Assert.Skip(e.Message);
            throw;
        }
    }

    [GeneratedRegex(@"__global__\s+void\s+(\w+)\s*\(")]
    private static partial Regex KernelDeclaration();
}
