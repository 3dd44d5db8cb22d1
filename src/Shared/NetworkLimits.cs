// Compiled into both the source generator (GANDSL_GENERATOR, where the type is internal) and the runtime (public):
// the sizes the generator refuses at the attribute are the ones the runtime cannot hold.
namespace GanDsl
{
    /// <summary>
    /// The largest networks GanDsl generates. Each bound keeps every size the generated code and the runtime compute inside
    /// 32-bit indexing with room to spare; a layer past one is a GAN0027 or GAN0028 diagnostic at its attribute.
    /// </summary>
#if GANDSL_GENERATOR
    internal
#else
    public
#endif
    static class NetworkLimits
    {
        /// <summary>Layer attributes on one network (activations and normalisations count).</summary>
        public const int MaxLayers = 512;

        /// <summary>Channels, features, units, filters, classes or embedding size given to one layer.</summary>
        public const int MaxWidth = 1 << 24;

        /// <summary>An image's height or width, at any layer.</summary>
        public const int MaxSide = 1 << 16;

        /// <summary>A convolution's kernel size or stride.</summary>
        public const int MaxKernel = 1024;

        /// <summary>Values one sample has at one layer (64 MiB of floats).</summary>
        public const long MaxFeatures = 1 << 24;

        /// <summary>Parameters of one network (4 GiB of floats), and so of any one layer.</summary>
        public const long MaxParameters = 1L << 30;

        /// <summary>Values one sample keeps across all layers, activations and the largest convolution's columns together.</summary>
        public const long MaxValuesPerSample = 1L << 28;

        /// <summary><paramref name="a"/> times <paramref name="b"/> for sizes of 0 or more, long.MaxValue where the product would not fit.</summary>
        public static long Multiply(long a, long b) => a == 0 || b <= long.MaxValue / a ? a * b : long.MaxValue;
    }
}
