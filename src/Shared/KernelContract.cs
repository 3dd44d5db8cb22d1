// Compiled into both the source generator (GANDSL_GENERATOR, internal there) and the runtime (public): the generator
// prints these values into the kernels it writes (C# and CUDA C) and into the launches that pass them.
namespace GanDsl.Backends
{
    /// <summary>How a backend splits a fused kernel's work across threads or blocks.</summary>
#if GANDSL_GENERATOR
    internal
#else
    [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]
    public
#endif
    enum KernelPartition
    {
        /// <summary>Rows are independent (elementwise forward epilogues): one work item per row.</summary>
        Rows,

        /// <summary>
        /// Columns are independent but rows are reduced (bias gradients): one work item per
        /// <see cref="KernelFlags.ColumnBlock"/> columns, each summing its rows in a fixed order so the
        /// result does not depend on the thread count.
        /// </summary>
        ColumnBlocks,
    }

    /// <summary>
    /// The integer <see cref="KernelArgs.Flag"/> a generated kernel reads, by kernel family, and the column block of
    /// column-partitioned kernels. Generated code passes and tests these values; nothing else needs them.
    /// </summary>
#if GANDSL_GENERATOR
    internal
#else
    [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]
    public
#endif
    static class KernelFlags
    {
        /// <summary>Columns per work item of a <see cref="KernelPartition.ColumnBlocks"/> kernel.</summary>
        public const int ColumnBlock = 16;

        /// <summary>Bias-gradient and narrow Dense backward kernels: add to the parameter gradients instead of overwriting them.</summary>
        public const int Accumulate = 1;

        /// <summary>Narrow Dense backward kernels: also write the input gradient.</summary>
        public const int InputGradient = 2;

        /// <summary>BatchNorm's backward reduction: leave the scale and shift gradients alone (only its saved sums).</summary>
        public const int NormGradientsNone = 0;

        /// <summary>BatchNorm's backward reduction: overwrite the scale and shift gradients.</summary>
        public const int NormGradientsSet = 1;

        /// <summary>BatchNorm's backward reduction: add to the scale and shift gradients.</summary>
        public const int NormGradientsAdd = 2;
    }
}
