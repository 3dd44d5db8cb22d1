using System.Runtime.CompilerServices;

namespace GanDsl.Randomness;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
/// counter-based generator, so value <c>i</c> of a stream is computed directly from
/// (seed, stream, counter + i) without state. CPU and GPU code draw the same numbers from it.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53;
    private const uint M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9;
    private const uint W1 = 0xBB67AE85;

    /// <summary>The four 32-bit outputs for one 128-bit counter (<paramref name="counter"/>, <paramref name="stream"/>) under key <paramref name="seed"/>.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Block(ulong seed, ulong stream, ulong counter)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = (uint)stream, c3 = (uint)(stream >> 32);
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (uint)p1;
            c2 = n2;
            c3 = (uint)p0;
            k0 += W0;
            k1 += W1;
        }

        return (c0, c1, c2, c3);
    }

    /// <summary>A uniform float in [0, 1) from the top 24 bits of <paramref name="bits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUnit(uint bits) => (bits >> 8) * (1f / 16777216f);

    /// <summary>A uniform float in (0, 1], safe for a logarithm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUnitOpenZero(uint bits) => ((bits >> 8) + 1) * (1f / 16777216f);

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normal values: element <c>i</c> comes from
    /// block <c>counter + i / 4</c>, Box-Muller on output pairs (x0, x1) and (x2, x3).
    /// </summary>
    public static void FillNormal(Span<float> destination, ulong seed, ulong stream, ulong counter)
    {
        for (int i = 0; i < destination.Length; i += 4)
        {
            var (x0, x1, x2, x3) = Block(seed, stream, counter + (ulong)(i / 4));
            var (a, b) = BoxMuller(x0, x1);
            var (c, d) = BoxMuller(x2, x3);
            int left = destination.Length - i;
            destination[i] = a;
            if (left > 1) destination[i + 1] = b;
            if (left > 2) destination[i + 2] = c;
            if (left > 3) destination[i + 3] = d;
        }
    }

    /// <summary>Fills <paramref name="destination"/> with uniform values in [low, high); element <c>i</c> is output <c>i % 4</c> of block <c>counter + i / 4</c>.</summary>
    public static void FillUniform(Span<float> destination, float low, float high, ulong seed, ulong stream, ulong counter)
    {
        float width = high - low;
        for (int i = 0; i < destination.Length; i += 4)
        {
            var (x0, x1, x2, x3) = Block(seed, stream, counter + (ulong)(i / 4));
            int left = destination.Length - i;
            destination[i] = low + width * ToUnit(x0);
            if (left > 1) destination[i + 1] = low + width * ToUnit(x1);
            if (left > 2) destination[i + 2] = low + width * ToUnit(x2);
            if (left > 3) destination[i + 3] = low + width * ToUnit(x3);
        }
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) for Fisher-Yates shuffles (Lemire's multiply-shift; its bias below 2^-32 is immaterial here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Below(uint bits, int bound) => (int)(((ulong)bits * (uint)bound) >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float, float) BoxMuller(uint u, uint v)
    {
        float radius = MathF.Sqrt(-2f * MathF.Log(ToUnitOpenZero(u)));
        float angle = 2f * MathF.PI * ToUnit(v);
        var (sin, cos) = MathF.SinCos(angle);
        return (radius * cos, radius * sin);
    }
}
