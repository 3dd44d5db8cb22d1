using System.Diagnostics;
using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Bench;

/// <summary>
/// <c>--profile-dcgan [batch]</c>: where samples/Dcgan's convolutions spend their time on the CPU. Each convolution's
/// forward pass, input gradient and weight gradient, forward and transposed, is timed as its generated code runs it (the
/// same backend calls, shapes and scratch): the im2col or col2im part and the GEMM part apart, with GFLOP/s, beside a
/// square GEMM of the same FLOPs (what the project's GEMM reaches on a plain matrix product of that size), and the share
/// of the multiply-adds spent on the padding's zeros. The generator
/// runs at the batch, the discriminator at twice it, as in its step.
/// </summary>
internal static class ConvProfile
{
    public static void Run(int batch)
    {
        using var backend = new CpuBackend();
        using var g = new Dcgan.DcganGenerator(backend, 1);
        using var d = new Dcgan.DcganDiscriminator(backend, 2);
        Console.WriteLine($"DCGAN convolutions, batch {batch} (the discriminator's passes at {2 * batch} rows), {backend.Description}");
        Console.WriteLine($"  {"layer",-34} {"pass",-12} {"im2col",9} {"GEMM",9} {"total",9} {"GFLOP",7} {"GFLOP/s",8} {"GEMM only",9} {"square",8} {"total/square",12} {"on padding",10}");
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
                foreach (var pass in Passes(backend, layer.Kind == LayerKind.ConvTranspose2D, geometry, layers[i - 1].Output, layer.Output, weight.Rows, weight.Cols, rows))
                {
                    double square = SquareGemm(backend, pass.Flops);
                    double total = pass.Columns + pass.Gemm;
                    sum += total;
                    Console.WriteLine($"  {name,-34} {pass.Name,-12} {pass.Columns,7:F0}us {pass.Gemm,7:F0}us {total,7:F0}us {pass.Flops / 1e9,7:F2} {pass.Flops / total / 1e3,8:F1} {pass.Flops / pass.Gemm / 1e3,9:F1} {square,8:F1} {pass.Flops / total / 1e3 / square,11:P0} {OnPadding(geometry),10:P0}");
                }
            }
        }

        Console.WriteLine($"  all convolution passes: {sum / 1e3:F1} ms");
    }

    private readonly record struct Pass(string Name, double Columns, double Gemm, double Flops);

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

    // The calls the generated code makes for one layer's three passes (see CSharpEmitter: ConvStage, TransposedStage).
    private static IEnumerable<Pass> Passes(CpuBackend backend, bool transposed, ConvGeometry g, TensorShape input, TensorShape output, int weightRows, int weightCols, int rows)
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
        var xs = x.View(0, rows, inFeatures);
        var ys = y.View(0, rows, outFeatures);
        var cols = col.View(0, rows * pixels, columns);
        var weights = w.View(0, weightRows, weightCols);
        var gradients = dw.View(0, weightRows, weightCols);
        if (!transposed)
        {
            // Conv2D: x (rows, C.H.W) -> columns (rows.P, C.k.k); y (rows.P, F) = columns W^T.
            int f = output.Channels;
            var yp = ys.Reshape(rows * pixels, f);
            double flops = 2.0 * rows * pixels * f * columns;
            double im2col = Time(() => backend.Im2Col(xs, g, cols));
            yield return new("forward", im2col, Time(() => backend.Gemm(cols, false, weights, true, yp)), flops);
            yield return new("input grad", Time(() => backend.Col2Im(cols, g, xs)), Time(() => backend.Gemm(yp, false, weights, false, cols)), flops);
            yield return new("weight grad", im2col, Time(() => backend.Gemm(yp, true, cols, false, gradients)), flops);
        }
        else
        {
            // ConvTranspose2D: columns (rows.Pin, F.k.k) = x (rows.Pin, C) W, then col2im to y; backward im2col of dy.
            int c = input.Channels;
            var xp = xs.Reshape(rows * pixels, c);
            double flops = 2.0 * rows * pixels * c * columns;
            double im2col = Time(() => backend.Im2Col(ys, g, cols));
            yield return new("forward", Time(() => backend.Col2Im(cols, g, ys)), Time(() => backend.Gemm(xp, false, weights, false, cols)), flops);
            yield return new("input grad", im2col, Time(() => backend.Gemm(cols, false, weights, true, xp)), flops);
            yield return new("weight grad", 0, Time(() => backend.Gemm(xp, true, cols, false, gradients)), flops);
        }
    }

    // GFLOP/s of an n x n x n product with n^3 about flops / 2 (a multiple of 16).
    private static double SquareGemm(CpuBackend backend, double flops)
    {
        int n = Math.Max(16, (int)Math.Round(Math.Cbrt(flops / 2) / 16) * 16);
        using var memory = backend.Allocate(3L * n * n);
        backend.RandomNormal(memory.All, 1, 3, 0);
        var (a, b, c) = (memory.View(0, n, n), memory.View((long)n * n, n, n), memory.View(2L * n * n, n, n));
        return 2.0 * n * n * n / Time(() => backend.Gemm(a, false, b, false, c)) / 1e3;
    }

    // Median microseconds of a call, after warming it up; about half a second of calls.
    private static double Time(Action body)
    {
        body();
        body();
        var once = Stopwatch.StartNew();
        body();
        int repeats = Math.Clamp((int)(0.5 / Math.Max(once.Elapsed.TotalSeconds, 1e-6)), 3, 200);
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            body();
            times[i] = watch.Elapsed.TotalMicroseconds;
        }

        Array.Sort(times);
        return times[repeats / 2];
    }
}
