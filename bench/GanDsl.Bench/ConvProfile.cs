using System.Diagnostics;
using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Bench;

/// <summary>
/// <c>--profile-dcgan [batch]</c>: where samples/Dcgan's convolutions spend their time on the CPU. Each convolution's
/// forward pass, input gradient and weight gradient, forward and transposed, is timed as its generated code runs it (the
/// same backend calls, shapes and scratch), with the path the backend takes (direct, or im2col and a GEMM a block of
/// images at a time) and
/// GFLOP/s counted as im2col's GEMM would (padding included), beside a square GEMM of the same FLOPs (what the project's
/// GEMM reaches on a plain matrix product of that size); then the share of those multiply-adds that meet the
/// padding's zeros, and the rate of the rest (the useful work) against the square GEMM. The generator runs at the
/// batch, the discriminator at twice it, as in its step, save its first layer's input gradient: the step computes that
/// only for the generator's update, on the batch of fakes. Each pass and its square GEMM are timed in turns, so a slow
/// spell of the machine slows both.
/// </summary>
internal static class ConvProfile
{
    public static void Run(int batch)
    {
        using var backend = new CpuBackend();
        using var g = new Dcgan.DcganGenerator(backend, 1);
        using var d = new Dcgan.DcganDiscriminator(backend, 2);
        Console.WriteLine($"DCGAN convolutions, batch {batch} (the discriminator's passes at {2 * batch} rows), {backend.Description}");
        Console.WriteLine($"  {"layer",-34} {"pass",-12} {"path",-7} {"time",9} {"GFLOP",7} {"GFLOP/s",8} {"square",8} {"of square",9} {"on padding",10} {"useful of square",16}");
        double sum = 0;
        foreach (var (network, rows) in new (Network, int)[] { (g, batch), (d, 2 * batch) })
        {
            var layers = network.Layout.Layers;
            for (int i = 1; i < layers.Count; i++)
            {
                var layer = layers[i];
                if (layer.Geometry is not { } geometry)
                {
                    continue;
                }

                var weight = network.Layout.Parameters[layer.WeightIndex];
                string name = $"{network.Layout.Name[5..]} {layer.Description}";
                // The input gradient of a network's first layer is only ever needed by the generator's update: the batch.
                int inputGradientRows = i == 1 ? batch : rows;
                foreach (var pass in Passes(backend, layer.Kind == LayerKind.ConvTranspose2D, geometry, layers[i - 1].Output, layer.Output, weight.Rows, weight.Cols, rows, inputGradientRows))
                {
                    var (time, square) = TimeBeside(backend, pass.Body, pass.Flops);
                    double rate = pass.Flops / time / 1e3, padding = OnPadding(geometry);
                    sum += time;
                    Console.WriteLine($"  {name,-34} {pass.Name,-12} {pass.Path,-7} {time,7:F0}us {pass.Flops / 1e9,7:F2} {rate,8:F1} {square,8:F1} {rate / square,9:P0} {padding,10:P0} {rate * (1 - padding) / square,16:P0}");
                }
            }
        }

        Console.WriteLine($"  all convolution passes: {sum / 1e3:F1} ms");
    }

    private readonly record struct Pass(string Name, string Path, Action Body, double Flops);

    // The share of the GEMMs' multiply-adds that meet the padding's zeros: (output pixel, tap) pairs outside the image,
    // in every pass (the transposed convolution's columns for them are computed, then dropped by col2im).
    private static double OnPadding(ConvGeometry g)
    {
        static long Inside(int outSize, int inSize, int k, int stride, int pad)
        {
            long count = 0;
            for (int o = 0; o < outSize; o++)
            {
                for (int t = 0; t < k; t++)
                {
                    int i = o * stride - pad + t;
                    count += i >= 0 && i < inSize ? 1 : 0;
                }
            }

            return count;
        }

        double inside = (double)Inside(g.OutHeight, g.InHeight, g.Kernel, g.Stride, g.PadTop) * Inside(g.OutWidth, g.InWidth, g.Kernel, g.Stride, g.PadLeft);
        return 1 - inside / ((double)g.OutPixels * g.Kernel * g.Kernel);
    }

    // The calls the generated code makes for one layer's three passes (see CSharpEmitter: ConvStage, TransposedStage); the
    // input gradient at inputGradientRows of the rows.
    private static IEnumerable<Pass> Passes(CpuBackend backend, bool transposed, ConvGeometry g, TensorShape input, TensorShape output, int weightRows, int weightCols, int rows, int inputGradientRows)
    {
        int inFeatures = input.Features, outFeatures = output.Features;
        int columns = g.InChannels * g.Kernel * g.Kernel;
        int pixels = transposed ? input.Height * input.Width : g.OutHeight * g.OutWidth; // rows of the column matrix per sample
        using var x = backend.Allocate((long)rows * inFeatures);
        using var y = backend.Allocate((long)rows * outFeatures);
        using var col = backend.Allocate((long)rows * pixels * columns);
        using var w = backend.Allocate((long)weightRows * weightCols);
        using var dw = backend.Allocate((long)weightRows * weightCols);
        backend.RandomNormal(x.All, 1, 0, 0);
        backend.RandomNormal(y.All, 1, 1, 0);
        backend.RandomNormal(w.All, 1, 2, 0);
        Tensor Xs(int n) => x.View(0, n, inFeatures);
        Tensor Ys(int n) => y.View(0, n, outFeatures);
        Tensor Cols(int n) => col.View(0, n * pixels, columns);
        var weights = w.View(0, weightRows, weightCols);
        var gradients = dw.View(0, weightRows, weightCols);
        string Path(int n) => DirectConvolution.Serves(g, weightRows, n) ? "direct" : DirectConvolution.ServesThin(g, weightRows, n) ? "thin" : "blocks";
        double Flops(int n) => 2.0 * n * pixels * weightRows * columns;
        int r = rows, ig = inputGradientRows;
        if (!transposed)
        {
            // Conv2D: y (rows.P, F) = im2col(x) W^T; dx = col2im(dy W); dW = dy^T im2col(x).
            yield return new("forward", Path(r), () => backend.Convolve(Xs(r), g, weights, Ys(r).Reshape(r * pixels, output.Channels), Cols(r)), Flops(r));
            yield return new(ig == r ? "input grad" : $"input grad ({ig})", Path(ig), () => backend.ConvolveTransposed(Ys(ig).Reshape(ig * pixels, output.Channels), g, weights, Xs(ig), Cols(ig)), Flops(ig));
            yield return new("weight grad", Path(r), () => backend.ConvolutionWeightGradient(Ys(r).Reshape(r * pixels, output.Channels), Xs(r), g, gradients, 0f, Cols(r)), Flops(r));
        }
        else
        {
            // ConvTranspose2D: y = col2im(x W); dW = x^T im2col(dy), then dx = im2col(dy) W^T from the same columns.
            bool held = false;
            yield return new("forward", Path(r), () => backend.ConvolveTransposed(Xs(r).Reshape(r * pixels, input.Channels), g, weights, Ys(r), Cols(r)), Flops(r));
            yield return new("weight grad", Path(r), () => held = backend.ConvolutionWeightGradient(Xs(r).Reshape(r * pixels, input.Channels), Ys(r), g, gradients, 0f, Cols(r)), Flops(r));
            yield return new(ig == r ? "input grad" : $"input grad ({ig})", Path(ig), () => backend.Convolve(Ys(ig), g, weights, Xs(ig).Reshape(ig * pixels, input.Channels), Cols(ig), held && ig == r), Flops(ig));
        }
    }

    // Median microseconds of a pass, and GFLOP/s of an n x n x n product with n^3 about flops / 2 (a multiple of 16),
    // timed in turns after warming both up; about a second of calls in all.
    private static (double Time, double Square) TimeBeside(CpuBackend backend, Action pass, double flops)
    {
        int n = Math.Max(16, (int)Math.Round(Math.Cbrt(flops / 2) / 16) * 16);
        using var memory = backend.Allocate(3L * n * n);
        backend.RandomNormal(memory.All, 1, 3, 0);
        var (a, b, c) = (memory.View(0, n, n), memory.View((long)n * n, n, n), memory.View(2L * n * n, n, n));
        Action gemm = () => backend.Gemm(a, false, b, false, c);
        pass();
        gemm();
        pass();
        gemm();
        var once = Stopwatch.StartNew();
        pass();
        gemm();
        int repeats = Math.Clamp((int)(1.0 / Math.Max(once.Elapsed.TotalSeconds, 1e-6)), 5, 300);
        var times = new double[repeats];
        var squares = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            times[i] = Time(pass);
            squares[i] = Time(gemm);
        }

        Array.Sort(times);
        Array.Sort(squares);
        return (times[repeats / 2], 2.0 * n * n * n / squares[repeats / 2] / 1e3);
    }

    private static double Time(Action body)
    {
        var watch = Stopwatch.StartNew();
        body();
        return watch.Elapsed.TotalMicroseconds;
    }
}
