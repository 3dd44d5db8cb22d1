namespace GanDsl.Backends;

/// <summary>
/// The geometry of a 2-D convolution over channels-last images: from (InHeight, InWidth, InChannels)
/// to (OutHeight, OutWidth), a square kernel, a stride, and the padding before the first row and column
/// (any padding after them is implied by the sizes). A transposed convolution uses the geometry of the
/// convolution it is the adjoint of. Its im2col matrix has one row per output pixel and
/// InChannels x Kernel x Kernel columns, in (channel, kernel row, kernel column) order, PyTorch's weight order.
/// </summary>
public sealed record ConvGeometry(int InChannels, int InHeight, int InWidth, int OutHeight, int OutWidth, int Kernel, int Stride, int PadTop, int PadLeft)
{
    /// <summary>Columns of the im2col matrix: InChannels x Kernel x Kernel.</summary>
    public int Columns => InChannels * Kernel * Kernel;

    /// <summary>Output pixels per image.</summary>
    public int OutPixels => OutHeight * OutWidth;

    /// <summary>Input values per image.</summary>
    public int InFeatures => InChannels * InHeight * InWidth;
}
