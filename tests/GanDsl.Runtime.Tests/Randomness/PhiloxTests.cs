using GanDsl.Randomness;

namespace GanDsl.Tests.Randomness;

public sealed class PhiloxTests
{
    // Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors):
    // counter words c0..c3 and key words k0, k1 map here to counter = c1:c0, stream = c3:c2, seed = k1:k0.
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint x0, uint x1, uint x2, uint x3)
    {
        var result = Philox.Block(((ulong)k1 << 32) | k0, ((ulong)c3 << 32) | c2, ((ulong)c1 << 32) | c0);
        Assert.Equal((x0, x1, x2, x3), result);
    }

    [Fact]
    public void NormalsHaveUnitMomentsAndAreReproducible()
    {
        var a = new float[200_000];
        var b = new float[200_000];
        Philox.FillNormal(a, 42, 7, 0);
        Philox.FillNormal(b, 42, 7, 0);
        Assert.Equal(a, b);
        double mean = a.Average(v => (double)v);
        double variance = a.Average(v => (v - mean) * (v - mean));
        double beyond2 = a.Count(v => Math.Abs(v) > 2) / (double)a.Length;
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        Assert.InRange(beyond2, 0.043, 0.048); // P(|z| > 2) = 0.0455
    }

    [Fact]
    public void ElementDependsOnlyOnItsPosition()
    {
        // Element i comes from block counter + i / 4, so drawing from an offset continues the same sequence.
        var whole = new float[64];
        Philox.FillNormal(whole, 3, 1, 10);
        var tail = new float[32];
        Philox.FillNormal(tail, 3, 1, 10 + 8);
        Assert.Equal(whole[32..], tail);

        var otherStream = new float[64];
        Philox.FillNormal(otherStream, 3, 2, 10);
        Assert.NotEqual(whole, otherStream);
    }

    [Fact]
    public void NormalsFollowBoxMullerOnEachBlock()
    {
        // The vectorised fill against the definition, block by block, including a counter whose low word wraps.
        const ulong counter = 0xFFFF_FFFAul;
        var normals = new float[4 * 13];
        Philox.FillNormal(normals, 5, 6, counter);
        for (int j = 0; j < 13; j++)
        {
            var (x0, x1, x2, x3) = Philox.Block(5, 6, counter + (ulong)j);
            AssertPair(normals[4 * j], normals[4 * j + 1], x0, x1);
            AssertPair(normals[4 * j + 2], normals[4 * j + 3], x2, x3);
        }

        static void AssertPair(float cos, float sin, uint u, uint v)
        {
            double radius = Math.Sqrt(-2 * Math.Log(Philox.ToUnitOpenZero(u)));
            double angle = 2 * Math.PI * Philox.ToUnit(v);
            Assert.Equal(radius * Math.Cos(angle), cos, 2e-5 * (1 + radius));
            Assert.Equal(radius * Math.Sin(angle), sin, 2e-5 * (1 + radius));
        }
    }

    [Fact]
    public void UniformStaysInRange()
    {
        var u = new float[100_000];
        Philox.FillUniform(u, -0.5f, 0.25f, 9, 0, 0);
        Assert.All(u, v => Assert.InRange(v, -0.5f, 0.25f));
        Assert.InRange(u.Average(), -0.13, -0.12);
    }

    [Theory]
    [InlineData(25_600)] // the seed GAN's noise at batch 256
    [InlineData(10_001)] // a partial last chunk and a partial last block
    public void TheCpuBackendsNoiseOverSeveralThreadsIsTheSerialStream(int length)
    {
        var expected = new float[length];
        Philox.FillNormal(expected, 42, 3, 1_000);
        using var backend = new GanDsl.Backends.Cpu.CpuBackend(2);
        using var buffer = backend.Allocate(length + 5);
        backend.RandomNormal(buffer.View(5, 1, length), 42, 3, 1_000);
        Assert.Equal(expected, buffer.All.Span[5..].ToArray());
    }
}
