using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Backends;

/// <summary>
/// The CPU's Upsample and PReLU at CycleGAN's sizes, where they split their work among the workers and run in vectors:
/// every value against a plain loop, bit for bit, on one thread and on two.
/// </summary>
public sealed class UpsamplePReluTests
{
    private const int Rows = 9, Height = 7, Width = 5, Channels = 67, Factor = 2; // odd sizes: vector tails everywhere

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void UpsampleRepeatsEachPixelAndItsBackwardSumsEachBlock(int threads)
    {
        using var backend = new CpuBackend(threads);
        int small = Height * Width * Channels, large = small * Factor * Factor;
        var x = Random(Rows * small, 1);
        var dy = Random(Rows * large, 2);
        using var memory = backend.Allocate(2L * Rows * (small + large));
        var (tx, ty) = (memory.View(0, Rows, small), memory.View((long)Rows * small, Rows, large));
        var (tdy, tdx) = (memory.View((long)Rows * (small + large), Rows, large), memory.View((long)Rows * (small + 2 * large), Rows, small));
        backend.Upload(x, tx);
        backend.Upload(dy, tdy);
        backend.Upsample(tx, ty, Height, Width, Factor);
        backend.UpsampleBackward(tdy, tdx, Height, Width, Factor);
        var (y, dx) = (Host(backend, ty), Host(backend, tdx));

        int wide = Width * Factor;
        for (int r = 0; r < Rows; r++)
        {
            for (int h = 0; h < Height * Factor; h++)
            {
                for (int w = 0; w < wide; w++)
                {
                    for (int c = 0; c < Channels; c++)
                    {
                        float expected = x[r * small + ((h / Factor) * Width + w / Factor) * Channels + c];
                        Assert.Equal(expected, y[r * large + (h * wide + w) * Channels + c]);
                    }
                }
            }

            for (int h = 0; h < Height; h++)
            {
                for (int w = 0; w < Width; w++)
                {
                    for (int c = 0; c < Channels; c++)
                    {
                        float sum = 0f;
                        for (int i = 0; i < Factor; i++)
                        {
                            for (int j = 0; j < Factor; j++)
                            {
                                sum += dy[r * large + ((h * Factor + i) * wide + w * Factor + j) * Channels + c];
                            }
                        }

                        Assert.Equal(sum, dx[r * small + (h * Width + w) * Channels + c]);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, Channels)]
    [InlineData(2, Channels)]
    public void PReluAndItsGradientsMatchAPlainLoop(int threads, int slopes)
    {
        using var backend = new CpuBackend(threads);
        int n = Rows * Height * Width * Channels * 4; // past the parallel threshold and several chunks
        var z = Random(n, 3);
        var dy = Random(n, 4);
        z[5] = 0f; // the boundary goes to the slope
        float[] a = [.. Enumerable.Range(0, slopes).Select(c => 0.25f + 0.01f * c)];
        using var memory = backend.Allocate(4L * n + 2 * slopes);
        var (tz, ty, tdy, tdz) = (memory.View(0, 1, n), memory.View(n, 1, n), memory.View(2L * n, 1, n), memory.View(3L * n, 1, n));
        var (ta, tda) = (memory.View(4L * n, 1, slopes), memory.View(4L * n + slopes, 1, slopes));
        backend.Upload(z, tz);
        backend.Upload(dy, tdy);
        backend.Upload(a, ta);
        backend.PRelu(tz, ta, ty, slopes);
        var y = Host(backend, ty);
        backend.PReluBackward(tdy, tz, ta, tda, tdz, slopes, accumulate: false);
        var (dz, da) = (Host(backend, tdz), Host(backend, tda));

        var terms = new double[slopes];
        for (int i = 0; i < n; i++)
        {
            float slope = a[i % slopes];
            Assert.Equal(z[i] > 0f ? z[i] : slope * z[i], y[i]);
            Assert.Equal(z[i] > 0f ? dy[i] : slope * dy[i], dz[i]);
            terms[i % slopes] += z[i] > 0f ? 0 : (double)dy[i] * z[i];
        }

        for (int c = 0; c < slopes; c++)
        {
            Assert.True(Math.Abs(da[c] - terms[c]) <= 1e-4 * (1 + Math.Abs(terms[c])), $"slope {c}: {da[c]} vs {terms[c]}");
        }
    }

    private static float[] Random(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    private static float[] Host(CpuBackend backend, Tensor t)
    {
        var values = new float[t.Length];
        backend.Download(t, values);
        return values;
    }
}
