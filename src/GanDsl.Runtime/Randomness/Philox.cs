using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GanDsl.Randomness;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
/// counter-based generator, so value <c>i</c> of a stream is computed directly from
/// (seed, stream, counter + i) without state. CPU and GPU code draw the same numbers from it.
/// </summary>
internal static class Philox
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
    /// block <c>counter + i / 4</c>, Box-Muller on output pairs (x0, x1) and (x2, x3): x0 gives the
    /// radius sqrt(-2 ln u) and x1 the angle 2 pi v, element 4j is r cos, 4j + 1 is r sin, and so on.
    /// </summary>
    /// <remarks>Eight blocks at a time (AVX2 where present), so 32 normals share one vector Box-Muller.</remarks>
    public static void FillNormal(Span<float> destination, ulong seed, ulong stream, ulong counter)
    {
        Span<uint> bits = stackalloc uint[32]; // x0 of 8 blocks, then x1, x2, x3
        Span<float> normals = stackalloc float[32];
        for (int i = 0; i < destination.Length; i += 32)
        {
            Blocks8(seed, stream, counter + (ulong)(i / 4), bits);
            BoxMuller8(bits, normals);
            int count = Math.Min(32, destination.Length - i);
            normals[..count].CopyTo(destination.Slice(i, count));
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

    /// <summary>
    /// Fills <paramref name="order"/> with a uniformly random permutation of 0..n-1: Fisher-Yates, swap
    /// <c>i</c> drawing from block (<paramref name="round"/> &lt;&lt; 32) + i, so each round (epoch) has
    /// its own reproducible order.
    /// </summary>
    public static void Permutation(Span<int> order, ulong seed, ulong stream, ulong round)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        ulong baseCounter = round << 32;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = Below(Block(seed, stream, baseCounter + (ulong)i).X0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) for Fisher-Yates shuffles (Lemire's multiply-shift; its bias below 2^-32 is immaterial here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Below(uint bits, int bound) => (int)(((ulong)bits * (uint)bound) >> 32);

    /// <summary>Blocks counter .. counter + 7, structure-of-arrays: bits[8 * w + j] is word w of block j.</summary>
    internal static void Blocks8(ulong seed, ulong stream, ulong counter, Span<uint> bits)
    {
        if (!Avx2.IsSupported)
        {
            for (int j = 0; j < 8; j++)
            {
                var (x0, x1, x2, x3) = Block(seed, stream, counter + (ulong)j);
                (bits[j], bits[8 + j], bits[16 + j], bits[24 + j]) = (x0, x1, x2, x3);
            }

            return;
        }

        // Counter words of blocks counter + j: the low word wraps, carrying into the high one.
        var c0 = Vector256.Create((uint)counter) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var carry = Vector256.LessThan(c0, Vector256.Create((uint)counter)) & Vector256<uint>.One;
        var c1 = Vector256.Create((uint)(counter >> 32)) + carry;
        var c2 = Vector256.Create((uint)stream);
        var c3 = Vector256.Create((uint)(stream >> 32));
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            var (hi0, lo0) = MulHiLo(c0, M0);
            var (hi1, lo1) = MulHiLo(c2, M1);
            var n0 = hi1 ^ c1 ^ Vector256.Create(k0);
            var n2 = hi0 ^ c3 ^ Vector256.Create(k1);
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }

        ref uint r = ref MemoryMarshal.GetReference(bits);
        c0.StoreUnsafe(ref r, 0);
        c1.StoreUnsafe(ref r, 8);
        c2.StoreUnsafe(ref r, 16);
        c3.StoreUnsafe(ref r, 24);
    }

    // 32 x 32 -> 64-bit products of eight lanes: AVX2 multiplies the even lanes, the odd ones after a shift.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<uint> Hi, Vector256<uint> Lo) MulHiLo(Vector256<uint> a, uint m)
    {
        var multiplier = Vector256.Create((uint)m);
        var even = Avx2.Multiply(a, multiplier);
        var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsUInt64(), 32).AsUInt32(), multiplier);
        var lo = Avx2.Blend(even.AsUInt32(), Avx2.ShiftLeftLogical(odd, 32).AsUInt32(), 0b1010_1010);
        var hi = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsUInt32(), odd.AsUInt32(), 0b1010_1010);
        return (hi, lo);
    }

    /// <summary>Box-Muller on eight blocks' words, written out in element order (4 per block).</summary>
    private static void BoxMuller8(ReadOnlySpan<uint> bits, Span<float> normals)
    {
        ref uint r = ref MemoryMarshal.GetReference(bits);
        var (a, b) = BoxMuller(Vector256.LoadUnsafe(ref r, 0), Vector256.LoadUnsafe(ref r, 8));
        var (c, d) = BoxMuller(Vector256.LoadUnsafe(ref r, 16), Vector256.LoadUnsafe(ref r, 24));
        for (int j = 0; j < 8; j++)
        {
            normals[4 * j] = a.GetElement(j);
            normals[4 * j + 1] = b.GetElement(j);
            normals[4 * j + 2] = c.GetElement(j);
            normals[4 * j + 3] = d.GetElement(j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Cos, Vector256<float> Sin) BoxMuller(Vector256<uint> u, Vector256<uint> v)
    {
        var scale = Vector256.Create(1f / 16777216f);
        var uniformOpen = Vector256.ConvertToSingle((Vector256.ShiftRightLogical(u, 8) + Vector256<uint>.One).AsInt32()) * scale;
        var uniform = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(v, 8).AsInt32()) * scale;
        var radius = Vector256.Sqrt(Vector256.Create(-2f) * Vector256.Log(uniformOpen));
        var (sin, cos) = Vector256.SinCos(Vector256.Create(2f * MathF.PI) * uniform);
        return (radius * cos, radius * sin);
    }
}
