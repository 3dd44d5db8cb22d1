namespace GanDsl.Backends.Cpu;

/// <summary>Images kept as bytes in host memory, plus the order batches are drawn in.</summary>
internal sealed class CpuImageSet : ImageSet
{
    public CpuImageSet(ReadOnlyMemory<byte> pixels, int count, int pixelsPerImage, ReadOnlyMemory<byte> labels)
        : base(count, pixelsPerImage, !labels.IsEmpty)
    {
        Pixels = pixels;
        Labels = labels;
        Order = new int[count];
        for (int i = 0; i < count; i++)
        {
            Order[i] = i;
        }
    }

    public ReadOnlyMemory<byte> Pixels { get; }

    public ReadOnlyMemory<byte> Labels { get; }

    public int[] Order { get; }

    protected override void SetOrderCore(ReadOnlySpan<int> order) => order.CopyTo(Order);
}
