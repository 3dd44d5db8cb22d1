using System.Collections.Generic;
using GanDsl.Backends;
using GanDsl.Generator.Model;

namespace GanDsl.Generator
{
    /// <summary>
    /// A generated kernel's descriptor: its role in the stage (Forward, Backward, ...), field, entry-point name, width
    /// and work split, and for column kernels how many sums per column they keep (0: the backend's default).
    /// </summary>
    internal sealed record KernelInfo(string Role, string Field, string Name, int Columns, string Partition, string Method, int ColumnSums = 0);

    /// <summary>
    /// The fused CPU kernels of each stage, as C# over <c>Vector256&lt;float&gt;</c> with every width and
    /// constant baked in. The math comes from <see cref="ActivationMath"/>, printed, never retyped.
    /// </summary>
    internal static class KernelEmitter
    {
        private const string Vec = "global::System.Runtime.Intrinsics.Vector256";

        // Locals are typed: generated code never writes var, which a user type named var would capture.
        private const string VecF = Vec + "<float>";

        private static string Num(bool vector) => vector ? VecF : "float";
        private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
        private const string KernelArgs = CSharpEmitter.KernelArgs;
        private const int Lanes = 8;

        private const int ColumnBlock = KernelFlags.ColumnBlock;

        public static string Field(Stage stage, string role) => $"s_{CSharpEmitter.Field(stage)}{role}";

        private static string Method(Stage stage, string role) => $"{stage.Prefix}{role}";

        private static string Name(Stage stage, string role) => $"stage{stage.Index}_{role.ToLowerInvariant()}";

        /// <summary>Most units a Dense layer without an activation may have to run as narrow kernels (see <see cref="IsNarrow"/>).</summary>
        public const int NarrowMax = 4;

        /// <summary>
        /// A Dense layer with at most <see cref="NarrowMax"/> units and no activation, such as a discriminator's logit.
        /// With fusion on, its forward (dot products plus bias) and its backward (weight, bias and input
        /// gradients in one column pass) are generated kernels rather than GEMMs over a matrix a few columns wide
        /// plus bias passes: one launch each instead of two or three.
        /// </summary>
        public static bool IsNarrow(Stage stage) =>
            stage is DenseStage { HasActivation: false } dense && dense.OutShape.Features <= NarrowMax;

        /// <summary>The kernels a stage launches.</summary>
        public static IEnumerable<KernelInfo> Kernels(Stage stage)
        {
            KernelInfo Info(string role, string partition) =>
                new(role, Field(stage, role), Name(stage, role), stage.OutShape.Channels, partition, Method(stage, role));

            switch (stage)
            {
                case DenseStage when IsNarrow(stage):
                {
                    int k = stage.InShape.Features;
                    yield return new KernelInfo("NarrowForward", Field(stage, "NarrowForward"), Name(stage, "NarrowForward"), k, nameof(KernelPartition.Rows), Method(stage, "NarrowForward"));
                    int sums = 2 * stage.OutShape.Features + (((DenseStage)stage).PredecessorBias ? 1 : 0);
                    yield return new KernelInfo("NarrowBackward", Field(stage, "NarrowBackward"), Name(stage, "NarrowBackward"), k, nameof(KernelPartition.ColumnBlocks), Method(stage, "NarrowBackward"), sums);
                    yield return new KernelInfo("NarrowInputGradient", Field(stage, "NarrowInputGradient"), Name(stage, "NarrowInputGradient"), k, nameof(KernelPartition.Rows), Method(stage, "NarrowInputGradient"));
                    break;
                }

                case DenseStage or ConvStage or TransposedStage or InstanceNormStage when stage.HasActivation:
                    if (Bias(stage) >= 0)
                    {
                        yield return Info("Forward", nameof(KernelPartition.Rows));
                        if (!PrologueInNext(stage))
                        {
                            yield return Info("Backward", nameof(KernelPartition.ColumnBlocks));
                        }
                    }

                    yield return Info("Activation", nameof(KernelPartition.Rows));
                    yield return Info("ActivationGradient", nameof(KernelPartition.Rows));
                    break;

                case BatchNormStage:
                    yield return Info("Normalize", nameof(KernelPartition.Rows));
                    yield return Info("BackwardReduce", nameof(KernelPartition.ColumnBlocks));
                    break;
            }
        }

        public static void Emit(IndentedWriter w, Stage stage)
        {
            switch (stage)
            {
                case DenseStage dense when IsNarrow(stage):
                    NarrowForward(w, dense);
                    NarrowBackward(w, dense);
                    NarrowInputGradient(w, dense);
                    break;

                case DenseStage or ConvStage or TransposedStage or InstanceNormStage when stage.HasActivation:
                    if (Bias(stage) >= 0)
                    {
                        RowKernel(w, stage, "Forward", withBias: true, gradient: false);
                    }

                    RowKernel(w, stage, "Activation", withBias: false, gradient: false);
                    if (Bias(stage) >= 0 && !PrologueInNext(stage))
                    {
                        ColumnKernel(w, stage, "Backward", batchNorm: false);
                    }

                    RowKernel(w, stage, "ActivationGradient", withBias: false, gradient: true);
                    break;

                case BatchNormStage norm:
                    NormalizeKernel(w, norm);
                    ColumnKernel(w, stage, "BackwardReduce", batchNorm: true);
                    break;
            }
        }

        /// <summary>Whether the narrow Dense layer after this one does its backward prologue (see <see cref="DenseStage.Predecessor"/>).</summary>
        public static bool PrologueInNext(Stage stage) => stage is DenseStage { PrologueInNext: true };

        private static int Bias(Stage stage) => stage switch
        {
            DenseStage d => d.Bias,
            ConvStage c => c.Bias,
            TransposedStage t => t.Bias,
            _ => -1,
        };

        /// <summary>An elementwise kernel over whole rows: forward (optionally adding the bias first) or the activation's derivative.</summary>
        private static void RowKernel(IndentedWriter w, Stage stage, string role, bool withBias, bool gradient)
        {
            int n = stage.OutShape.Channels;
            int vectorEnd = n - n % Lanes;
            string what = gradient ? "dz = dy * f'(z) from y, in place" : withBias ? "y = f(y + b) in place" : "y = f(y) in place";
            w.Line();
            w.Line($"/// <summary>{Escape(stage.Description)}: {what}, over rows [start, end).</summary>");
            w.Open($"private static void {Method(stage, role)}(in {KernelArgs} args, int start, int end)");
            if (gradient)
            {
                w.Line($"ref float dz = ref args.T0.Ref; // (rows, {n})");
                w.Line($"ref float yy = ref args.T1.Ref; // (rows, {n}) forward output");
            }
            else
            {
                w.Line($"ref float y = ref args.T0.Ref; // (rows, {n})");
                if (withBias)
                {
                    w.Line($"ref float bias = ref args.T1.Ref; // ({n})");
                }
            }

            w.Open("for (int r = start; r < end; r++)");
            w.Line($"nuint row = (nuint)r * {n};");
            if (vectorEnd > 0)
            {
                w.Open($"for (nuint c = 0; c < {vectorEnd}; c += {Lanes})");
                RowElement(w, stage, withBias, gradient, vector: true);
                w.Close();
            }

            if (vectorEnd < n)
            {
                w.Open($"for (nuint c = {vectorEnd}; c < {n}; c++)");
                RowElement(w, stage, withBias, gradient, vector: false);
                w.Close();
            }

            w.Close();
            w.Close();
        }

        private static void RowElement(IndentedWriter w, Stage stage, bool withBias, bool gradient, bool vector)
        {
            ExprPrinter printer = vector ? CSharpVectorPrinter.Instance : CSharpScalarPrinter.Instance;
            if (gradient)
            {
                w.Line($"{Num(vector)} g = {Load(vector, "dz", "row + c")};");
                w.Line($"{Num(vector)} y = {Load(vector, "yy", "row + c")};");
                w.Line(Store(vector, ActivationMath.Gradient(stage.Activation, stage.Slope, Expr.Var("y"), Expr.Var("g")).Print(printer), "dz", "row + c"));
            }
            else
            {
                w.Line(withBias ? $"{Num(vector)} z = {Load(vector, "y", "row + c")} + {Load(vector, "bias", "c")};" : $"{Num(vector)} z = {Load(vector, "y", "row + c")};");
                w.Line(Store(vector, ActivationMath.Forward(stage.Activation, stage.Slope, Expr.Var("z")).Print(printer), "y", "row + c"));
            }
        }

        /// <summary>BatchNorm forward: y = f(gamma * (x - mean) / std + beta), rows [start, end), batch or running statistics already in saved.</summary>
        private static void NormalizeKernel(IndentedWriter w, BatchNormStage norm)
        {
            int n = norm.Channels;
            int vectorEnd = n - n % Lanes;
            w.Line();
            w.Line($"/// <summary>{Escape(norm.Description)}: y = f(gamma * (x - mean) / std + beta), over rows [start, end).</summary>");
            w.Open($"private static void {Method(norm, "Normalize")}(in {KernelArgs} args, int start, int end)");
            w.Line($"ref float x = ref args.T0.Ref; // (rows, {n})");
            w.Line($"ref float y = ref args.T1.Ref; // (rows, {n})");
            w.Line($"ref float mean = ref args.T2.Ref; // ({n}), then 1 / std at {n}");
            w.Line($"ref float gamma = ref args.T3.Ref; // ({n}), then beta at {n}");
            w.Open("for (int r = start; r < end; r++)");
            w.Line($"nuint row = (nuint)r * {n};");
            for (int pass = 0; pass < 2; pass++)
            {
                bool vector = pass == 0;
                if (vector ? vectorEnd == 0 : vectorEnd == n)
                {
                    continue;
                }

                w.Open(vector ? $"for (nuint c = 0; c < {vectorEnd}; c += {Lanes})" : $"for (nuint c = {vectorEnd}; c < {n}; c++)");
                w.Line($"{Num(vector)} xhat = ({Load(vector, "x", "row + c")} - {Load(vector, "mean", "c")}) * {Load(vector, "mean", $"c + {n}")};");
                w.Line($"{Num(vector)} z = {Load(vector, "gamma", "c")} * xhat + {Load(vector, "gamma", $"c + {n}")};");
                var printer = vector ? (ExprPrinter)CSharpVectorPrinter.Instance : CSharpScalarPrinter.Instance;
                w.Line(Store(vector, ActivationMath.Forward(norm.Activation, norm.Slope, Expr.Var("z")).Print(printer), "y", "row + c"));
                w.Close();
            }

            w.Close();
            w.Close();
        }

        /// <summary>
        /// A column-block reduction with the activation's derivative in place: the bias gradient (Dense and
        /// convolutions), or BatchNorm's two sums, sum(dy) and sum(dy * xhat), giving dbeta and dgamma and
        /// kept for the input gradient. Each block sums its rows in order: deterministic for any thread count.
        /// </summary>
        private static void ColumnKernel(IndentedWriter w, Stage stage, string role, bool batchNorm)
        {
            int n = stage.OutShape.Channels;
            int fullBlocks = n / ColumnBlock;
            bool hasTail = n % ColumnBlock != 0;
            w.Line();
            w.Line(batchNorm
                ? $"/// <summary>{Escape(stage.Description)}: dy = dout * f'(z) from y in place; sums of dy and dy * xhat into saved and, when asked, into dgamma and dbeta (flag 1 sets, 2 adds); over column blocks [start, end).</summary>"
                : $"/// <summary>{Escape(stage.Description)}: dz = dy * f'(z) from y in place, and db (+)= column sums of dz, over column blocks [start, end).</summary>");
            w.Open($"private static void {Method(stage, role)}(in {KernelArgs} args, int start, int end)");
            w.Line($"ref float dz = ref args.T0.Ref; // (rows, {n}): dy in, dz out");
            w.Line($"ref float yy = ref args.T1.Ref; // (rows, {n}) forward output");
            if (batchNorm)
            {
                w.Line($"ref float x = ref args.T2.Ref; // (rows, {n}) BatchNorm input");
                w.Line($"ref float saved = ref args.T3.Ref; // mean, 1 / std, sum(dy), sum(dy * xhat): ({n}) each");
                w.Line($"ref float dgamma = ref args.T4.Ref; // ({n}), then dbeta at {n}");
                w.Line("int mode = args.Flag;");
            }
            else
            {
                w.Line($"ref float db = ref args.T2.Ref; // ({n})");
                w.Line($"bool accumulate = (args.Flag & {KernelFlags.Accumulate}) != 0;");
            }

            w.Line("int rows = args.Rows;");
            w.Open("for (int block = start; block < end; block++)");
            w.Line($"nuint c = (nuint)block * {ColumnBlock};");
            var gradient = new[] { 0, 1 };
            if (fullBlocks > 0)
            {
                if (hasTail)
                {
                    w.Open($"if (block < {fullBlocks})");
                }

                foreach (int h in gradient)
                {
                    w.Line($"{VecF} s{h} = {Vec}<float>.Zero;");
                    if (batchNorm)
                    {
                        w.Line($"{VecF} q{h} = {Vec}<float>.Zero;");
                        w.Line($"{VecF} mean{h} = {Vec}.LoadUnsafe(ref saved, c + {h * Lanes});");
                        w.Line($"{VecF} inv{h} = {Vec}.LoadUnsafe(ref saved, c + {n + h * Lanes});");
                    }
                }

                w.Open("for (int r = 0; r < rows; r++)");
                w.Line($"nuint o = (nuint)r * {n} + c;");
                foreach (int h in gradient)
                {
                    string at = h == 0 ? "o" : $"o + {Lanes}";
                    w.Line($"{VecF} g{h} = {Vec}.LoadUnsafe(ref dz, {at});");
                    w.Line($"{VecF} y{h} = {Vec}.LoadUnsafe(ref yy, {at});");
                    w.Line($"{VecF} d{h} = {ActivationMath.Gradient(stage.Activation, stage.Slope, Expr.Var("y" + h), Expr.Var("g" + h)).Print(CSharpVectorPrinter.Instance)};");
                    w.Line($"{Vec}.StoreUnsafe(d{h}, ref dz, {at});");
                    w.Line($"s{h} += d{h};");
                    if (batchNorm)
                    {
                        w.Line($"q{h} += d{h} * (({Vec}.LoadUnsafe(ref x, {at}) - mean{h}) * inv{h});");
                    }
                }

                w.Close();
                if (batchNorm)
                {
                    foreach (int h in gradient)
                    {
                        w.Line($"{Vec}.StoreUnsafe(s{h}, ref saved, c + {2 * n + h * Lanes});");
                        w.Line($"{Vec}.StoreUnsafe(q{h}, ref saved, c + {3 * n + h * Lanes});");
                    }

                    w.Open($"if (mode != {KernelFlags.NormGradientsNone})");
                    foreach (int h in gradient)
                    {
                        w.Line($"{Vec}.StoreUnsafe(mode == {KernelFlags.NormGradientsAdd} ? {Vec}.LoadUnsafe(ref dgamma, c + {h * Lanes}) + q{h} : q{h}, ref dgamma, c + {h * Lanes});");
                        w.Line($"{Vec}.StoreUnsafe(mode == {KernelFlags.NormGradientsAdd} ? {Vec}.LoadUnsafe(ref dgamma, c + {n + h * Lanes}) + s{h} : s{h}, ref dgamma, c + {n + h * Lanes});");
                    }

                    w.Close();
                }
                else
                {
                    w.Open("if (accumulate)");
                    foreach (int h in gradient)
                    {
                        w.Line($"s{h} += {Vec}.LoadUnsafe(ref db, c + {h * Lanes});");
                    }

                    w.Close();
                    foreach (int h in gradient)
                    {
                        w.Line($"{Vec}.StoreUnsafe(s{h}, ref db, c + {h * Lanes});");
                    }
                }

                if (hasTail)
                {
                    w.Line("continue;");
                    w.Close();
                }
            }

            if (hasTail)
            {
                w.Line();
                w.Line($"// The last, partial block: columns [{fullBlocks * ColumnBlock}, {n}) one at a time.");
                w.Open($"for (; c < {n}; c++)");
                w.Line("float s = 0f;");
                if (batchNorm)
                {
                    w.Line("float q = 0f;");
                    w.Line($"float mean = {Unsafe}.Add(ref saved, c);");
                    w.Line($"float inv = {Unsafe}.Add(ref saved, c + {n});");
                }

                w.Open("for (int r = 0; r < rows; r++)");
                w.Line($"nuint o = (nuint)r * {n} + c;");
                w.Line($"float g = {Unsafe}.Add(ref dz, o);");
                w.Line($"float y = {Unsafe}.Add(ref yy, o);");
                w.Line($"float d = {ActivationMath.Gradient(stage.Activation, stage.Slope, Expr.Var("y"), Expr.Var("g")).Print(CSharpScalarPrinter.Instance)};");
                w.Line($"{Unsafe}.Add(ref dz, o) = d;");
                w.Line("s += d;");
                if (batchNorm)
                {
                    w.Line($"q += d * (({Unsafe}.Add(ref x, o) - mean) * inv);");
                }

                w.Close();
                if (batchNorm)
                {
                    w.Line($"{Unsafe}.Add(ref saved, c + {2 * n}) = s;");
                    w.Line($"{Unsafe}.Add(ref saved, c + {3 * n}) = q;");
                    w.Open($"if (mode != {KernelFlags.NormGradientsNone})");
                    w.Line($"{Unsafe}.Add(ref dgamma, c) = mode == {KernelFlags.NormGradientsAdd} ? {Unsafe}.Add(ref dgamma, c) + q : q;");
                    w.Line($"{Unsafe}.Add(ref dgamma, c + {n}) = mode == {KernelFlags.NormGradientsAdd} ? {Unsafe}.Add(ref dgamma, c + {n}) + s : s;");
                    w.Close();
                }
                else
                {
                    w.Line($"{Unsafe}.Add(ref db, c) = accumulate ? {Unsafe}.Add(ref db, c) + s : s;");
                }

                w.Close();
            }

            w.Close();
            w.Close();
        }

        /// <summary>Narrow Dense forward: y[r, j] = x[r, :] . W[j, :] + b[j], all units from one sweep of the row.</summary>
        private static void NarrowForward(IndentedWriter w, DenseStage dense)
        {
            int k = dense.InShape.Features, n = dense.OutShape.Features;
            int vectorEnd = k - k % Lanes;
            bool bias = dense.Bias >= 0;
            w.Line();
            w.Line($"/// <summary>{Escape(dense.Description)}: y = x W^T{(bias ? " + b" : "")}, {n} dot products per row in one pass, over rows [start, end).</summary>");
            w.Open($"private static void {Method(dense, "NarrowForward")}(in {KernelArgs} args, int start, int end)");
            w.Line($"ref float x = ref args.T0.Ref; // (rows, {k})");
            w.Line($"ref float w = ref args.T1.Ref; // ({n}, {k})");
            if (bias)
            {
                w.Line($"ref float bias = ref args.T2.Ref; // ({n})");
            }

            w.Line($"ref float y = ref args.T3.Ref; // (rows, {n})");
            w.Open("for (int r = start; r < end; r++)");
            w.Line($"nuint row = (nuint)r * {k};");
            if (vectorEnd > 0)
            {
                for (int j = 0; j < n; j++)
                {
                    w.Line($"{VecF} v{j} = {Vec}<float>.Zero;");
                }

                w.Open($"for (nuint c = 0; c < {vectorEnd}; c += {Lanes})");
                w.Line($"{VecF} xv = {Vec}.LoadUnsafe(ref x, row + c);");
                for (int j = 0; j < n; j++)
                {
                    w.Line($"v{j} += xv * {Vec}.LoadUnsafe(ref w, {Offset(j * k, "c")});");
                }

                w.Close();
            }

            for (int j = 0; j < n; j++)
            {
                w.Line(vectorEnd > 0 ? $"float s{j} = {Vec}.Sum(v{j});" : $"float s{j} = 0f;");
            }

            if (vectorEnd < k)
            {
                w.Open($"for (nuint c = {vectorEnd}; c < {k}; c++)");
                w.Line($"float xs = {Unsafe}.Add(ref x, row + c);");
                for (int j = 0; j < n; j++)
                {
                    w.Line($"s{j} += xs * {Unsafe}.Add(ref w, {Offset(j * k, "c")});");
                }

                w.Close();
            }

            for (int j = 0; j < n; j++)
            {
                w.Line($"{Unsafe}.Add(ref y, {Offset(j, $"(nuint)r * {n}")}) = {(bias ? $"s{j} + {Unsafe}.Add(ref bias, {j})" : $"s{j}")};");
            }

            w.Close();
            w.Close();
        }

        /// <summary>
        /// Narrow Dense backward over column blocks of the input: dW[j, c] (+)= sum_r dy[r, j] x[r, c] and, when flag
        /// bit 1 is set, dx[r, c] = sum_j dy[r, j] W[j, c]; the first block also sums db[j] (+)= sum_r dy[r, j]. With a
        /// predecessor (a Dense + activation whose output x is), dx also gets its activation's derivative and, when it
        /// has a bias, its column sums go to that bias's gradient, which sits just before dW.
        /// Rows are summed in order, so the result does not depend on the thread count.
        /// </summary>
        private static void NarrowBackward(IndentedWriter w, DenseStage dense)
        {
            int k = dense.InShape.Features, n = dense.OutShape.Features;
            bool bias = dense.Bias >= 0;
            var before = dense.Predecessor;
            bool beforeBias = dense.PredecessorBias;
            int dwAt = dense.GradientWeightsAt;
            w.Line();
            w.Line(before is null
                ? $"/// <summary>{Escape(dense.Description)}: dW (+)= dy^T x{(bias ? ", db (+)= column sums of dy" : "")} and, when asked, dx = dy W, over column blocks of x [start, end) (flag: 1 accumulates, 2 writes dx).</summary>"
                : $"/// <summary>{Escape(dense.Description)}: dW (+)= dy^T x{(bias ? ", db (+)= column sums of dy" : "")} and dx = (dy W) * f'(x) for {Escape(before.Description)}{(beforeBias ? ", its db (+)= column sums of dx" : "")}, over column blocks of x [start, end) (flag: 1 accumulates, 2 writes dx).</summary>");
            w.Open($"private static void {Method(dense, "NarrowBackward")}(in {KernelArgs} args, int start, int end)");
            w.Line($"ref float x = ref args.T0.Ref; // (rows, {k}) the layer's input");
            w.Line($"ref float dy = ref args.T1.Ref; // (rows, {n})");
            w.Line($"ref float w = ref args.T2.Ref; // ({n}, {k})");
            w.Line($"ref float dw = ref args.T3.Ref; // {(beforeBias ? $"the previous layer's db ({k}), then " : "")}dW ({n}, {k}){(bias ? $", then db ({n})" : "")}");
            w.Line($"bool accumulate = (args.Flag & {KernelFlags.Accumulate}) != 0;");
            w.Line($"bool inputGradient = (args.Flag & {KernelFlags.InputGradient}) != 0;");
            w.Line($"ref float dx = ref inputGradient ? ref args.T4.Ref : ref x; // (rows, {k}) when asked");
            w.Line("int rows = args.Rows;");
            w.Open("for (int block = start; block < end; block++)");
            w.Line($"nuint c = (nuint)block * {ColumnBlock};");
            w.Line($"nuint stop = c + {ColumnBlock} < {k} ? c + {ColumnBlock} : {k};");
            for (int pass = 0; pass < 2; pass++)
            {
                bool vector = pass == 0;
                var printer = vector ? (ExprPrinter)CSharpVectorPrinter.Instance : CSharpScalarPrinter.Instance;
                w.Open(vector ? $"for (; c + {Lanes} <= stop; c += {Lanes})" : "for (; c < stop; c++)");
                string zero = vector ? $"{Vec}<float>.Zero" : "0f";
                for (int j = 0; j < n; j++)
                {
                    w.Line($"{Num(vector)} w{j} = {Load(vector, "w", Offset(j * k, "c"))};");
                    w.Line($"{Num(vector)} a{j} = {zero};");
                }

                if (beforeBias)
                {
                    w.Line($"{Num(vector)} p = {zero};");
                }

                w.Open("for (int r = 0; r < rows; r++)");
                w.Line($"nuint o = (nuint)r * {k} + c;");
                w.Line($"{Num(vector)} xv = {Load(vector, "x", "o")};");
                for (int j = 0; j < n; j++)
                {
                    string g = $"{Unsafe}.Add(ref dy, {Offset(j, $"(nuint)r * {n}")})";
                    w.Line($"{Num(vector)} g{j} = {(vector ? $"{Vec}.Create({g})" : g)};");
                    w.Line($"a{j} += g{j} * xv;");
                }

                if (before is null)
                {
                    w.Open("if (inputGradient)");
                    w.Line(Store(vector, Sum(n, j => $"g{j} * w{j}"), "dx", "o"));
                    w.Close();
                }
                else
                {
                    w.Line($"{Num(vector)} gx = {Sum(n, j => $"g{j} * w{j}")};");
                    w.Line($"{Num(vector)} d = {ActivationMath.Gradient(before.Activation, before.Slope, Expr.Var("xv"), Expr.Var("gx")).Print(printer)};");
                    w.Line(Store(vector, "d", "dx", "o"));
                    if (beforeBias)
                    {
                        w.Line("p += d;");
                    }
                }

                w.Close();
                for (int j = 0; j < n; j++)
                {
                    string at = Offset(dwAt + j * k, "c");
                    w.Line(Store(vector, $"accumulate ? {Load(vector, "dw", at)} + a{j} : a{j}", "dw", at));
                }

                if (beforeBias)
                {
                    w.Line(Store(vector, $"accumulate ? {Load(vector, "dw", "c")} + p : p", "dw", "c"));
                }

                w.Close();
            }

            if (bias)
            {
                w.Open("if (block == 0)");
                for (int j = 0; j < n; j++)
                {
                    w.Line($"float b{j} = 0f;");
                }

                w.Open("for (int r = 0; r < rows; r++)");
                for (int j = 0; j < n; j++)
                {
                    w.Line($"b{j} += {Unsafe}.Add(ref dy, {Offset(j, $"(nuint)r * {n}")});");
                }

                w.Close();
                for (int j = 0; j < n; j++)
                {
                    string at = Format.Int(dense.GradientBiasAt + j);
                    w.Line($"{Unsafe}.Add(ref dw, {at}) = accumulate ? {Unsafe}.Add(ref dw, {at}) + b{j} : b{j};");
                }

                w.Close();
            }

            w.Close();
            w.Close();
        }

        /// <summary>
        /// Narrow Dense input gradient alone (no weight gradients): dx[r, c] = sum_j dy[r, j] W[j, c], times the
        /// predecessor's activation derivative (from its output, the layer's input) when there is one.
        /// </summary>
        private static void NarrowInputGradient(IndentedWriter w, DenseStage dense)
        {
            int k = dense.InShape.Features, n = dense.OutShape.Features;
            int vectorEnd = k - k % Lanes;
            var before = dense.Predecessor;
            w.Line();
            w.Line(before is null
                ? $"/// <summary>{Escape(dense.Description)}: dx = dy W, over rows [start, end).</summary>"
                : $"/// <summary>{Escape(dense.Description)}: dx = (dy W) * f'(x) for {Escape(before.Description)}, over rows [start, end).</summary>");
            w.Open($"private static void {Method(dense, "NarrowInputGradient")}(in {KernelArgs} args, int start, int end)");
            w.Line($"ref float dx = ref args.T0.Ref; // (rows, {k})");
            w.Line($"ref float dy = ref args.T1.Ref; // (rows, {n})");
            w.Line($"ref float w = ref args.T2.Ref; // ({n}, {k})");
            if (before is not null)
            {
                w.Line($"ref float x = ref args.T3.Ref; // (rows, {k}) the layer's input, the previous layer's output");
            }

            w.Open("for (int r = start; r < end; r++)");
            w.Line($"nuint row = (nuint)r * {k};");
            for (int j = 0; j < n; j++)
            {
                w.Line($"float g{j} = {Unsafe}.Add(ref dy, {Offset(j, $"(nuint)r * {n}")});");
            }

            if (vectorEnd > 0)
            {
                for (int j = 0; j < n; j++)
                {
                    w.Line($"{VecF} h{j} = {Vec}.Create(g{j});");
                }

                w.Open($"for (nuint c = 0; c < {vectorEnd}; c += {Lanes})");
                InputGradientElement(w, before, true, Sum(n, j => $"h{j} * {Vec}.LoadUnsafe(ref w, {Offset(j * k, "c")})"));
                w.Close();
            }

            if (vectorEnd < k)
            {
                w.Open($"for (nuint c = {vectorEnd}; c < {k}; c++)");
                InputGradientElement(w, before, false, Sum(n, j => $"g{j} * {Unsafe}.Add(ref w, {Offset(j * k, "c")})"));
                w.Close();
            }

            w.Close();
            w.Close();
        }

        private static void InputGradientElement(IndentedWriter w, DenseStage? before, bool vector, string sum)
        {
            if (before is null)
            {
                w.Line(Store(vector, sum, "dx", "row + c"));
                return;
            }

            var printer = vector ? (ExprPrinter)CSharpVectorPrinter.Instance : CSharpScalarPrinter.Instance;
            w.Line($"{Num(vector)} gx = {sum};");
            w.Line($"{Num(vector)} xv = {Load(vector, "x", "row + c")};");
            w.Line(Store(vector, ActivationMath.Gradient(before.Activation, before.Slope, Expr.Var("xv"), Expr.Var("gx")).Print(printer), "dx", "row + c"));
        }

        /// <summary><c>term(0) + term(1) + ...</c>, added left to right (the CUDA kernels add in the same order).</summary>
        internal static string Sum(int count, System.Func<int, string> term)
        {
            var terms = new string[count];
            for (int j = 0; j < count; j++)
            {
                terms[j] = term(j);
            }

            return string.Join(" + ", terms);
        }

        /// <summary><c>index</c> plus a constant, without a <c>0 +</c>.</summary>
        internal static string Offset(int constant, string index) => constant == 0 ? index : $"{index} + {Format.Int(constant)}";

        private static string Load(bool vector, string reference, string index) =>
            vector ? $"{Vec}.LoadUnsafe(ref {reference}, {index})" : $"{Unsafe}.Add(ref {reference}, {index})";

        private static string Store(bool vector, string value, string reference, string index) =>
            vector ? $"{Vec}.StoreUnsafe({value}, ref {reference}, {index});" : $"{Unsafe}.Add(ref {reference}, {index}) = {value};";

        private static string Escape(string text) => System.Security.SecurityElement.Escape(text);
    }
}
