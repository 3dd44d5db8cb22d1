using GanDsl.Generator.Model;

namespace GanDsl.Generator
{
    /// <summary>
    /// The one definition of each activation: its forward <c>y = f(z)</c>, and its backward
    /// <c>dz = g * f'(z)</c> written in terms of the output <c>y</c> (so the pre-activation need not
    /// be stored). Both emitters print these expressions.
    /// </summary>
    internal static class ActivationMath
    {
        /// <summary><c>f(z)</c>.</summary>
        public static Expr Forward(ActivationKind kind, float slope, Expr z) => kind switch
        {
            ActivationKind.Relu => Expr.Max(z, 0f),
            ActivationKind.LeakyRelu => Expr.IfGreater(z, 0f, z, slope * z),
            ActivationKind.Tanh => Expr.Tanh(z),
            ActivationKind.Sigmoid => 1f / (1f + Expr.Exp(-z)),
            _ => z,
        };

        /// <summary>
        /// <c>g * f'(z)</c> from <c>y = f(z)</c>. For the rectifiers <c>y &gt; 0</c> exactly when
        /// <c>z &gt; 0</c>, which is why LeakyRelu's slope must not be negative (GAN0009).
        /// </summary>
        public static Expr Gradient(ActivationKind kind, float slope, Expr y, Expr g) => kind switch
        {
            ActivationKind.Relu => Expr.IfGreater(y, 0f, g, 0f),
            ActivationKind.LeakyRelu => Expr.IfGreater(y, 0f, g, slope * g),
            ActivationKind.Tanh => g * (1f - y * y),
            ActivationKind.Sigmoid => g * (y * (1f - y)),
            _ => g,
        };
    }
}
