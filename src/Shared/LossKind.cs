// Compiled into both the source generator (GANDSL_GENERATOR, internal there), which writes each loss's kernels for the
// CPU and CUDA from its one formula (LossMath), and the runtime (public), whose backends run them.
namespace GanDsl.Backends
{
    /// <summary>
    /// The elementwise loss functions a backend computes with their gradients (<c>Backend.Loss</c>). Each is a
    /// function of a prediction <c>x</c>, for two of them a second prediction <c>v</c> (a log variance), and a target
    /// <c>t</c> (a tensor, or a constant); its formula is written once in the generator and printed as C# for the CPU
    /// and CUDA C for the GPU.
    /// </summary>
#if GANDSL_GENERATOR
    internal
#else
    [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]
    public
#endif
    enum LossKind
    {
        /// <summary>Binary cross-entropy on a logit: <c>softplus(x) - t x</c>; gradient <c>sigmoid(x) - t</c>; score <c>sigmoid(x)</c>.</summary>
        BinaryCrossEntropy,

        /// <summary>
        /// Binary cross-entropy on a probability, as Keras' <c>binary_crossentropy</c>: <c>-(t log p + (1 - t) log(1 - p))</c> with
        /// <c>p</c> clipped to [1e-7, 1 - 1e-7] (no gradient outside); score <c>p</c>.
        /// </summary>
        BinaryCrossEntropyOnProbability,

        /// <summary>The original minimax generator loss <c>log(1 - sigmoid(x)) = -softplus(x)</c>; gradient <c>-sigmoid(x)</c>; no target; score <c>sigmoid(x)</c>.</summary>
        LogOneMinusSigmoid,

        /// <summary>Half the squared error (LSGAN): <c>(x - t)^2 / 2</c>; gradient <c>x - t</c>; score <c>x</c>.</summary>
        HalfSquaredError,

        /// <summary>The squared error (PyTorch's <c>MSELoss</c>): <c>(x - t)^2</c>; gradient <c>2 (x - t)</c>; score <c>x</c>.</summary>
        SquaredError,

        /// <summary>The absolute error (PyTorch's <c>L1Loss</c>): <c>|x - t|</c>; gradient <c>sign(x - t)</c> (0 where equal); score <c>x</c>.</summary>
        AbsoluteError,

        /// <summary>Linear (Wasserstein): <c>t x</c>, with t = +1 or -1; gradient <c>t</c>; score <c>x</c>.</summary>
        Linear,

        /// <summary>Hinge: <c>max(0, 1 + t x)</c>, with t = +1 (fake) or -1 (real); gradient <c>t</c> where positive; score <c>x</c>.</summary>
        Hinge,

        /// <summary>
        /// The Gaussian negative log-likelihood of a target <c>t</c> under N(x, exp(v)), without its constant:
        /// <c>(v + (t - x)^2 exp(-v)) / 2</c> (PyTorch's <c>GaussianNLLLoss</c> with the log variance as input); score <c>x</c>.
        /// </summary>
        GaussianNegativeLogLikelihood,

        /// <summary>The KL divergence of N(x, exp(v)) from N(0, 1): <c>(x^2 + exp(v) - 1 - v) / 2</c>; no target; score <c>x</c>.</summary>
        KlDivergenceToStandardNormal,
    }
}
