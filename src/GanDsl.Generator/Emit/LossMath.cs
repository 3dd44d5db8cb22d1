using System.Collections.Generic;
using GanDsl.Backends;

namespace GanDsl.Generator
{
    /// <summary>
    /// One loss function, written once: its value, its gradients and its score as expressions of the prediction
    /// <c>x</c>, the second prediction <c>v</c> (a log variance) and the target <c>t</c>, with named intermediate values
    /// computed once per element. <see cref="LossEmitter"/> prints it as C# for the CPU and as CUDA C for the GPU, so
    /// the backends cannot drift apart. A null gradient means the loss does not depend on that operand.
    /// </summary>
    internal sealed class LossFormula
    {
        public LossFormula(LossKind kind, string summary)
        {
            Kind = kind;
            Summary = summary;
        }

        public LossKind Kind { get; }

        /// <summary>One line for the generated doc comment.</summary>
        public string Summary { get; }

        /// <summary>Intermediate values, in order; each may use <c>x</c>, <c>v</c>, <c>t</c> and the ones before it.</summary>
        public List<(string Name, Expr Value)> Lets { get; } = new();

        public Expr Value { get; set; } = 0f;

        /// <summary>d value / dx.</summary>
        public Expr? Prediction { get; set; }

        /// <summary>d value / dv, for the losses with a second prediction (a log variance).</summary>
        public Expr? Second { get; set; }

        /// <summary>d value / dt, for the losses with a target.</summary>
        public Expr? Target { get; set; }

        /// <summary>What the statistic "score" averages: the probability for the logit losses, else the prediction.</summary>
        public Expr Score { get; set; } = X;

        public bool UsesSecond => Second is not null;

        public bool UsesTarget => Target is not null;

        public static Expr X { get; } = Expr.Var("x");

        public static Expr V { get; } = Expr.Var("v");

        public static Expr T { get; } = Expr.Var("t");

        public LossFormula Let(string name, Expr value)
        {
            Lets.Add((name, value));
            return this;
        }
    }

    /// <summary>
    /// Softmax cross-entropy over a row of logits with an integer label, written once as the expressions of its
    /// log-sum-exp (around the row's maximum <c>m</c>, so no exponent overflows): with <c>x</c> a logit,
    /// <c>sum</c> = the sum of <see cref="Summand"/> over the row and <c>logSum</c> = <see cref="LogNormaliser"/>, the
    /// row's loss is <see cref="Value"/> at the label's logit, and each logit's gradient is <see cref="Gradient"/>
    /// (<see cref="GradientAtLabel"/> at the label) with <c>p</c> = <see cref="Probability"/>. The emitters print the
    /// row loops around them.
    /// </summary>
    internal static class SoftmaxMath
    {
        public static Expr X { get; } = Expr.Var("x");

        public static Expr M { get; } = Expr.Var("m");

        public static Expr Sum { get; } = Expr.Var("sum");

        public static Expr LogSum { get; } = Expr.Var("logSum");

        public static Expr P { get; } = Expr.Var("p");

        /// <summary>exp(x - m), summed over the row.</summary>
        public static Expr Summand { get; } = Expr.Exp(X - M);

        /// <summary>log(sum).</summary>
        public static Expr LogNormaliser { get; } = Expr.Log(Sum);

        /// <summary>-log softmax(x) at the label: logSum + m - x.</summary>
        public static Expr Value { get; } = LogSum + M - X;

        /// <summary>softmax(x) = exp(x - m - logSum).</summary>
        public static Expr Probability { get; } = Expr.Exp(X - M - LogSum);

        /// <summary>d loss / dx away from the label: p.</summary>
        public static Expr Gradient { get; } = P;

        /// <summary>d loss / dx at the label: p - 1.</summary>
        public static Expr GradientAtLabel { get; } = P - 1f;
    }

    /// <summary>The formula of every <see cref="LossKind"/>.</summary>
    internal static class LossMath
    {
        /// <summary>Keras' clipping of probabilities in its cross-entropy (its backend epsilon).</summary>
        public const float ProbabilityEpsilon = 1e-7f;

        public static IReadOnlyList<LossFormula> All { get; } = Create();

        private static List<LossFormula> Create()
        {
            var x = LossFormula.X;
            var v = LossFormula.V;
            var t = LossFormula.T;

            // The logistic function and softplus(x) = log(1 + e^x), written so that exp never overflows.
            var p = Expr.Var("p");
            var softplus = Expr.Var("softplus");
            Expr Sigmoid() => 1f / (1f + Expr.Exp(-x));
            Expr Softplus() => Expr.Max(x, 0f) + Expr.Log(1f + Expr.Exp(-Expr.Abs(x)));

            var list = new List<LossFormula>();

            var bce = new LossFormula(LossKind.BinaryCrossEntropy, "binary cross-entropy on a logit: softplus(x) - t x")
                .Let("p", Sigmoid())
                .Let("softplus", Softplus());
            bce.Value = softplus - t * x;
            bce.Prediction = p - t;
            bce.Target = -x;
            bce.Score = p;
            list.Add(bce);

            // p clipped to [eps, 1 - eps], as Keras does before taking logs; outside the clip the gradient is zero.
            float eps = ProbabilityEpsilon;
            var q = Expr.Var("q");
            var inside = Expr.Var("inside");
            var bceProbability = new LossFormula(LossKind.BinaryCrossEntropyOnProbability, "binary cross-entropy on a probability, clipped as Keras does")
                .Let("q", Expr.IfGreater(x, 1f - eps, 1f - eps, Expr.IfGreater(eps, x, eps, x)))
                .Let("inside", Expr.IfGreater(x, 1f - eps, 0f, Expr.IfGreater(eps, x, 0f, 1f)));
            bceProbability.Value = -(t * Expr.Log(q) + (1f - t) * Expr.Log(1f - q));
            bceProbability.Prediction = inside * ((q - t) / (q * (1f - q)));
            bceProbability.Target = Expr.Log(1f - q) - Expr.Log(q);
            bceProbability.Score = x;
            list.Add(bceProbability);

            var minimax = new LossFormula(LossKind.LogOneMinusSigmoid, "the minimax generator loss log(1 - sigmoid(x)) = -softplus(x)")
                .Let("p", Sigmoid())
                .Let("softplus", Softplus());
            minimax.Value = -softplus;
            minimax.Prediction = -p;
            minimax.Score = p;
            list.Add(minimax);

            var half = new LossFormula(LossKind.HalfSquaredError, "half the squared error (LSGAN): (x - t)^2 / 2");
            half.Value = 0.5f * (x - t) * (x - t);
            half.Prediction = x - t;
            half.Target = t - x;
            list.Add(half);

            var d = Expr.Var("d");
            var squared = new LossFormula(LossKind.SquaredError, "the squared error: (x - t)^2")
                .Let("d", x - t);
            squared.Value = d * d;
            squared.Prediction = 2f * d;
            squared.Target = -2f * d;
            list.Add(squared);

            var sign = Expr.Var("sign");
            var absolute = new LossFormula(LossKind.AbsoluteError, "the absolute error: |x - t|")
                .Let("d", x - t)
                .Let("sign", Expr.IfGreater(d, 0f, 1f, Expr.IfGreater(0f, d, -1f, 0f)));
            absolute.Value = Expr.Abs(d);
            absolute.Prediction = sign;
            absolute.Target = -sign;
            list.Add(absolute);

            var linear = new LossFormula(LossKind.Linear, "linear (Wasserstein): t x");
            linear.Value = t * x;
            linear.Prediction = t;
            linear.Target = x;
            list.Add(linear);

            var margin = Expr.Var("margin");
            var hinge = new LossFormula(LossKind.Hinge, "hinge: max(0, 1 + t x)")
                .Let("margin", 1f + t * x);
            hinge.Value = Expr.Max(0f, margin);
            hinge.Prediction = Expr.IfGreater(margin, 0f, t, 0f);
            hinge.Target = Expr.IfGreater(margin, 0f, x, 0f);
            list.Add(hinge);

            // With r = t - x and precision e^-v: value (v + r^2 e^-v) / 2.
            var r = Expr.Var("r");
            var precision = Expr.Var("precision");
            var nll = new LossFormula(LossKind.GaussianNegativeLogLikelihood, "the Gaussian negative log-likelihood of t under N(x, exp(v)): (v + (t - x)^2 exp(-v)) / 2")
                .Let("r", t - x)
                .Let("precision", Expr.Exp(-v));
            nll.Value = 0.5f * (v + r * r * precision);
            nll.Prediction = -(r * precision);
            nll.Second = 0.5f * (1f - r * r * precision);
            nll.Target = r * precision;
            list.Add(nll);

            var variance = Expr.Var("variance");
            var kl = new LossFormula(LossKind.KlDivergenceToStandardNormal, "the KL divergence of N(x, exp(v)) from N(0, 1): (x^2 + exp(v) - 1 - v) / 2")
                .Let("variance", Expr.Exp(v));
            kl.Value = 0.5f * (x * x + variance - 1f - v);
            kl.Prediction = x;
            kl.Second = 0.5f * (variance - 1f);
            list.Add(kl);

            return list;
        }
    }
}
