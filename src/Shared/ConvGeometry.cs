// Compiled into both the source generator (GANDSL_GENERATOR, internal there) and the runtime (public): the generator
// computes each convolution's geometry and prints it into generated code as this record's constructor call.
namespace GanDsl.Backends
{
    /// <summary>
    /// The geometry of a 2-D convolution over channels-last images: from (InHeight, InWidth, InChannels)
    /// to (OutHeight, OutWidth), a square kernel, a stride, and the padding before the first row and column
    /// (any padding after them is implied by the sizes). A transposed convolution uses the geometry of the
    /// convolution it is the adjoint of. Its im2col matrix has one row per output pixel and
    /// InChannels x Kernel x Kernel columns, in (channel, kernel row, kernel column) order, PyTorch's weight order.
    /// </summary>
    /// <param name="InChannels">Input channels.</param>
    /// <param name="InHeight">Input height.</param>
    /// <param name="InWidth">Input width.</param>
    /// <param name="OutHeight">Output height.</param>
    /// <param name="OutWidth">Output width.</param>
    /// <param name="Kernel">The square kernel's side.</param>
    /// <param name="Stride">The stride, both ways.</param>
    /// <param name="PadTop">Zero rows before the first input row.</param>
    /// <param name="PadLeft">Zero columns before the first input column.</param>
#if GANDSL_GENERATOR
    internal
#else
    [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]
    public
#endif
    sealed record ConvGeometry(int InChannels, int InHeight, int InWidth, int OutHeight, int OutWidth, int Kernel, int Stride, int PadTop, int PadLeft)
    {
        /// <summary>Columns of the im2col matrix: InChannels x Kernel x Kernel.</summary>
        public int Columns => InChannels * Kernel * Kernel;

        /// <summary>Output pixels per image.</summary>
        public int OutPixels => OutHeight * OutWidth;

        /// <summary>Input values per image.</summary>
        public int InFeatures => InChannels * InHeight * InWidth;
    }
}
