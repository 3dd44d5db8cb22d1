using System.ComponentModel;

namespace GanDsl.Backends;

/// <summary>The CPU body of a fused kernel: runs work items [<paramref name="start"/>, <paramref name="end"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void CpuKernelBody(in KernelArgs args, int start, int end);

/// <summary>
/// One generated fused kernel (for example bias + LeakyReLU forward, or the activation derivative
/// + bias-gradient reduction backward) with its constants baked in. The source generator emits the
/// CPU body as C#; GPU backends run the kernel of the same <see cref="Name"/> from the network's
/// generated device source.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FusedKernel
{
    /// <summary>Columns per work item for <see cref="KernelPartition.ColumnBlocks"/> kernels.</summary>
    public const int ColumnBlock = KernelFlags.ColumnBlock;

    /// <summary>Describes a generated kernel.</summary>
    /// <param name="name">The kernel's entry-point name, unique within its network.</param>
    /// <param name="columns">The feature width the kernel was specialised for.</param>
    /// <param name="partition">How its work splits.</param>
    /// <param name="cpu">The generated CPU body.</param>
    /// <param name="program">The device source holding the kernel's GPU twin, when there is one.</param>
    /// <param name="columnSums">For <see cref="KernelPartition.ColumnBlocks"/> kernels, how many sums per column the kernel keeps.</param>
    public FusedKernel(string name, int columns, KernelPartition partition, CpuKernelBody cpu, KernelProgram? program = null, int columnSums = 2)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columnSums);
        Name = name;
        Columns = columns;
        Partition = partition;
        Cpu = cpu;
        Program = program;
        ColumnSums = columnSums;
    }

    /// <summary>
    /// Sums per column a <see cref="KernelPartition.ColumnBlocks"/> kernel keeps (a bias gradient 1, BatchNorm 2, a
    /// narrow Dense layer's weight and bias gradients twice its units): a GPU splitting the rows into slices needs
    /// this many floats of partial sums per slice and column.
    /// </summary>
    public int ColumnSums { get; }

    /// <summary>The device source holding this kernel's GPU twin (entry point <see cref="Name"/>), or null for CPU-only kernels.</summary>
    public KernelProgram? Program { get; }

    /// <summary>The kernel's entry-point name.</summary>
    public string Name { get; }

    /// <summary>The feature width baked into the kernel.</summary>
    public int Columns { get; }

    /// <summary>How its work splits.</summary>
    public KernelPartition Partition { get; }

    /// <summary>The generated CPU body.</summary>
    public CpuKernelBody Cpu { get; }

    /// <summary>Number of work items for a launch over <paramref name="rows"/> rows.</summary>
    public int WorkItems(int rows) =>
        Partition == KernelPartition.Rows ? rows : (Columns + ColumnBlock - 1) / ColumnBlock;

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// The CUDA C of one network's generated kernels, compiled once per backend (and cached on disk by the
/// CUDA backend); each <see cref="FusedKernel"/> of the network points at it.
/// </summary>
/// <param name="name">The network's name, for messages and the kernel cache.</param>
/// <param name="cudaSource">The CUDA C source with <c>extern "C"</c> kernels.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class KernelProgram(string name, string cudaSource)
{
    /// <summary>The network's name.</summary>
    public string Name { get; } = name;

    /// <summary>The CUDA C source.</summary>
    public string CudaSource { get; } = cudaSource;

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// Arguments of a fused kernel launch: up to five tensors, the row count and one integer flag
/// (kernel-specific: for bias-gradient kernels, non-zero to accumulate instead of overwriting).
/// </summary>
/// <param name="rows">Rows (the batch, times pixels for images) the launch covers.</param>
/// <param name="t0">First tensor (the kernel's in-place operand).</param>
/// <param name="t1">Second tensor, if the kernel takes one.</param>
/// <param name="t2">Third tensor, if the kernel takes one.</param>
/// <param name="t3">Fourth tensor, if the kernel takes one.</param>
/// <param name="t4">Fifth tensor, if the kernel takes one.</param>
/// <param name="flag">A kernel-specific integer.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct KernelArgs(int rows, Tensor t0, Tensor t1 = default, Tensor t2 = default, Tensor t3 = default, Tensor t4 = default, int flag = 0)
{
    /// <summary>Rows the launch covers.</summary>
    public int Rows { get; } = rows;

    /// <summary>First tensor.</summary>
    public Tensor T0 { get; } = t0;

    /// <summary>Second tensor.</summary>
    public Tensor T1 { get; } = t1;

    /// <summary>Third tensor.</summary>
    public Tensor T2 { get; } = t2;

    /// <summary>Fourth tensor.</summary>
    public Tensor T3 { get; } = t3;

    /// <summary>Fifth tensor.</summary>
    public Tensor T4 { get; } = t4;

    /// <summary>A kernel-specific integer.</summary>
    public int Flag { get; } = flag;
}
