namespace GanDsl.Backends;

/// <summary>Marks the class the generator fills with the loss kernels (see <c>GanDsl.Generator.LossKernelGenerator</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class GenerateLossKernelsAttribute : Attribute;

/// <summary>
/// Every <see cref="LossKind"/>'s kernels, generated from its one formula: <c>Run</c>, the CPU loop over a range of
/// elements, and <c>CudaSource</c>, its CUDA twin (see <c>obj/.../GanDsl.Backends.LossKernels.g.cs</c>).
/// </summary>
[GenerateLossKernels]
internal static partial class LossKernels
{
    /// <summary>The CUDA program's name, in messages and in the kernel cache.</summary>
    public const string ProgramName = "GanDslLosses";
}

/// <summary>One segment of a loss launch, as the generated CPU loops read it: operands sliced to the segment's rows.</summary>
/// <param name="prediction">x.</param>
/// <param name="second">v, or empty.</param>
/// <param name="target">t, or empty for <paramref name="targetValue"/>.</param>
/// <param name="targetValue">The constant target.</param>
/// <param name="predictionGradient">d / dx, or empty.</param>
/// <param name="secondGradient">d / dv, or empty.</param>
/// <param name="targetGradient">d / dt, or empty.</param>
/// <param name="scale">The gradients' factor.</param>
/// <param name="accumulate">Add the gradients instead of writing them.</param>
internal readonly struct LossKernelArgs(Tensor prediction, Tensor second, Tensor target, float targetValue,
    Tensor predictionGradient, Tensor secondGradient, Tensor targetGradient, float scale, bool accumulate)
{
    public Tensor Prediction { get; } = prediction;

    public Tensor Second { get; } = second;

    public Tensor Target { get; } = target;

    public float TargetValue { get; } = targetValue;

    public Tensor PredictionGradient { get; } = predictionGradient;

    public Tensor SecondGradient { get; } = secondGradient;

    public Tensor TargetGradient { get; } = targetGradient;

    public float Scale { get; } = scale;

    public bool Accumulate { get; } = accumulate;
}
