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
            ActivationKind.Elu => Expr.IfGreater(z, 0f, z, slope * (Expr.Exp(z) - 1f)),
            ActivationKind.Selu => Expr.IfGreater(z, 0f, SeluScale * z, (SeluScale * SeluAlpha) * (Expr.Exp(z) - 1f)),
            _ => z,
        };

        /// <summary>
        /// <c>g * f'(z)</c> from <c>y = f(z)</c>. For the rectifiers <c>y &gt; 0</c> exactly when
        /// <c>z &gt; 0</c>, which is why LeakyRelu's slope (GAN0009) and ELU's alpha (GAN0030) must not be negative.
        /// </summary>
        public static Expr Gradient(ActivationKind kind, float slope, Expr y, Expr g) => kind switch
        {
            ActivationKind.Relu => Expr.IfGreater(y, 0f, g, 0f),
            ActivationKind.LeakyRelu => Expr.IfGreater(y, 0f, g, slope * g),
            ActivationKind.Tanh => g * (1f - y * y),
            ActivationKind.Sigmoid => g * (y * (1f - y)),

            // For z <= 0, f'(z) = alpha exp(z) = y + alpha (ELU), scale alpha exp(z) = y + scale alpha (SELU); alpha >= 0
            // keeps y > 0 exactly when z > 0 (GAN0030).
            ActivationKind.Elu => Expr.IfGreater(y, 0f, g, g * (y + slope)),
            ActivationKind.Selu => Expr.IfGreater(y, 0f, SeluScale * g, g * (y + SeluScale * SeluAlpha)),
            _ => g,
        };

        /// <summary>SELU's fixed constants (Klambauer et al. 2017), as PyTorch rounds them to float.</summary>
        public const float SeluAlpha = 1.6732632423543772f, SeluScale = 1.0507009873554805f;
    }
}
