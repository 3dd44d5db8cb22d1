using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GanDsl.Backends.Cpu;

/// <summary>
/// Vector math the generated CPU kernels call where <see cref="Vector256"/> has no method of its own.
/// Accuracy is within a few float ulps of the correctly rounded result, so the CPU backend stays a
/// faithful reference for the GPU one.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SimdMath
{
    // Below this |x| the Taylor series is used: 1 - 2 / (exp(2x) + 1) cancels badly near zero.
    private const float TanhSeriesLimit = 0.3f;

    /// <summary>Hyperbolic tangent of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);

        // Large |x|: tanh|x| = 1 - 2 / (exp(2|x|) + 1); exp overflows to +inf for |x| > 44, giving exactly 1.
        var e = Vector256.Exp(ax + ax);
        var large = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);

        // Small |x|: x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - 1382x^11/155925, truncation < 1e-9 at 0.3.
        var x2 = ax * ax;
        var p = Vector256.Create(-1382f / 155925f);
        p = p * x2 + Vector256.Create(62f / 2835f);
        p = p * x2 + Vector256.Create(-17f / 315f);
        p = p * x2 + Vector256.Create(2f / 15f);
        p = p * x2 + Vector256.Create(-1f / 3f);
        var small = ax + ax * x2 * p;

        var magnitude = Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(TanhSeriesLimit)), small, large);

        // Put the sign back (also keeps -0 and NaN as they were).
        var signBit = x & Vector256.Create(-0f);
        return magnitude | signBit;
    }

    /// <summary>Scalar twin of <see cref="Exp(Vector256{float})"/>: the same result as the vector lanes, for row tails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => Vector256.Exp(Vector256.Create(x)).GetElement(0);

    /// <summary>Exponential of each lane (<see cref="Vector256.Exp(Vector256{float})"/>; here so generated code names one place).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => Vector256.Exp(x);

    /// <summary>Scalar twin of <see cref="Tanh(Vector256{float})"/>, for the tail elements of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => Tanh(Vector256.Create(x)).GetElement(0);
}
