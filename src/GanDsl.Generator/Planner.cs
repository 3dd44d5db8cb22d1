using System.Collections.Generic;
using System.Linq;
using System.Text;
using GanDsl.Backends;
using GanDsl.Generator.Model;

namespace GanDsl.Generator
{
    /// <summary>A parameter tensor in the contiguous parameter buffer, as a (Rows, Cols) matrix with a PyTorch shape.</summary>
    /// <remarks>A <see cref="Shared"/> parameter lives in the owner's buffer ([SharedWith]), <see cref="Offset"/> being where there.</remarks>
    internal sealed record ParameterPlan(string Name, ParameterKind Role, int Rows, int Cols, long Offset, int FanIn, int[] Shape, string Description)
    {
        public bool Shared { get; init; }
    }

    /// <summary>A non-trained buffer that is part of the model (BatchNorm's running statistics).</summary>
    internal sealed record StatePlan(string Name, int Length, long Offset, float Initial, string Description);

    /// <summary>
    /// A layer as declared, for the summary and the runtime's layer table; <see cref="Stage"/> is the index of the stage it
    /// made, or -1 (activations, views, heads); <see cref="Head"/> the head it belongs to, or -1 in the trunk.
    /// </summary>
    internal sealed record LayerRow(LayerKind Kind, string Description, Shape OutputShape, ActivationKind Activation, float Slope, int WeightIndex, int BiasIndex, long Parameters, int Stage, int Head = -1, string Name = "");

    /// <summary>A head: its name, its stages [<see cref="FirstStage"/>, <see cref="EndStage"/>) and the slot of its output.</summary>
    internal sealed record HeadPlan(string Name, int FirstStage, int EndStage, int OutputSlot, Shape OutputShape);

    /// <summary>One step of the forward pass, reading slot <see cref="InSlot"/> and writing slot <see cref="OutSlot"/>.</summary>
    internal abstract record Stage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description)
    {
        /// <summary>The activation fused into this stage's epilogue.</summary>
        public ActivationKind Activation { get; init; }

        public float Slope { get; init; }

        public bool HasActivation => Activation != ActivationKind.None;

        /// <summary>Kernel and field names start with this, e.g. <c>Stage2</c>.</summary>
        public string Prefix => "Stage" + Index;
    }

    /// <summary>Dense: one GEMM, then bias + activation in one pass.</summary>
    internal sealed record DenseStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Weight, int Bias)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description)
    {
        /// <summary>
        /// For a narrow Dense layer (see <c>KernelEmitter.IsNarrow</c>) right after a Dense layer with an activation: that
        /// layer, whose activation derivative and bias gradient the narrow backward kernels compute too, with fusion on.
        /// </summary>
        public DenseStage? Predecessor { get; init; }

        /// <summary>The predecessor of a narrow Dense layer: with fusion on, that layer's kernels do this one's backward prologue.</summary>
        public bool PrologueInNext { get; init; }

        // The narrow backward's one gradient view (parameters sit in layer order): the predecessor's db when its
        // kernels take that over, then dW, then db.

        /// <summary>Whether the narrow backward also sums the predecessor's bias gradient (at the start of its gradient view).</summary>
        public bool PredecessorBias => Predecessor is { Bias: >= 0 };

        /// <summary>The parameter the narrow backward's gradient view starts at.</summary>
        public int GradientFirst => PredecessorBias ? Predecessor!.Bias : Weight;

        /// <summary>Where dW starts in the narrow backward's gradient view.</summary>
        public int GradientWeightsAt => PredecessorBias ? InShape.Features : 0;

        /// <summary>Where db starts in the narrow backward's gradient view.</summary>
        public int GradientBiasAt => GradientWeightsAt + OutShape.Features * InShape.Features;

        /// <summary>Floats in the narrow backward's gradient view.</summary>
        public int GradientLength => GradientBiasAt + (Bias >= 0 ? OutShape.Features : 0);
    }

    /// <summary>Conv2D: im2col then one GEMM over (batch x pixels) rows, then bias + activation.</summary>
    internal sealed record ConvStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Weight, int Bias, ConvGeometry Geometry)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description);

    /// <summary>ConvTranspose2D: one GEMM to columns, col2im, then bias + activation; Geometry is the adjoint convolution's.</summary>
    internal sealed record TransposedStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Weight, int Bias, ConvGeometry Geometry)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description);

    /// <summary>BatchNorm over channels: statistics, then normalise + scale + shift + activation.</summary>
    internal sealed record BatchNormStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Scale, int Running, long SavedOffset, float Momentum, float Epsilon)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description)
    {
        public int Channels => InShape.Channels;
    }

    /// <summary>InstanceNorm over each sample's channel (statistics recomputed by the backward pass), scaled and shifted by parameter <see cref="Scale"/> on when affine (-1: not), then its activation.</summary>
    internal sealed record InstanceNormStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Scale, float Epsilon)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description);

    /// <summary>
    /// A skip: the tensor in <see cref="SavedSlot"/> joined to the input, appended as channels (<see cref="Concat"/>) or
    /// added; the backward pass writes the saved tensor's share of the gradient to <see cref="SkipSlot"/>, added to the
    /// saved slot's gradient once the layers after the Save have written theirs.
    /// </summary>
    internal sealed record SkipStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, bool Concat, int SavedSlot, Shape SavedShape)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description)
    {
        /// <summary>The slot of the saved tensor's gradient from this skip.</summary>
        public int SkipSlot { get; init; } = -1;
    }

    /// <summary>PReLU with learned slopes (parameter <see cref="Slopes"/>, <see cref="Channels"/> of them: 1, or one per channel), reading its input slot.</summary>
    internal sealed record PReluStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Slopes, int Channels)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description);

    /// <summary>Dropout with a counter-based mask (recomputed, not stored, for the backward pass).</summary>
    internal sealed record DropoutStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, float Rate, int DropoutIndex)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description);

    /// <summary>Upsample: each pixel repeated in a Factor x Factor block (the backward pass sums the blocks).</summary>
    internal sealed record UpsampleStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Factor)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description);

    /// <summary>Condition: the input with the label's learned embedding appended (per pixel for images).</summary>
    internal sealed record ConditionStage(int Index, int InSlot, int OutSlot, Shape InShape, Shape OutShape, string Description, int Table, int Classes, int Embedding)
        : Stage(Index, InSlot, OutSlot, InShape, OutShape, Description)
    {
        /// <summary>ConditionMultiply: the input times the label's embedding (one value per feature), not the embedding appended.</summary>
        public bool Multiply { get; init; }
    }

    /// <summary>Arena layout and the stage list of one network, derived from its model.</summary>
    internal sealed class NetworkPlan
    {
        private NetworkPlan(NetworkModel model)
        {
            Model = model;
        }

        public NetworkModel Model { get; }

        public List<Stage> Stages { get; } = new();

        public List<ParameterPlan> Parameters { get; } = new();

        public List<StatePlan> States { get; } = new();

        public List<LayerRow> Layers { get; } = new();

        /// <summary>Shapes of the stored activations: slot 0 is the input, then one per stage.</summary>
        public List<Shape> Slots { get; } = new();

        /// <summary>Parameters the network owns (without those it shares).</summary>
        public long ParameterCount { get; private set; }

        /// <summary>Parameters of the layers shared with another network ([SharedWith]), which live in that network's buffer.</summary>
        public long SharedCount { get; private set; }

        public long StateCount { get; private set; }

        /// <summary>Floats of per-batch statistics (BatchNorm's mean, inverse deviation and gradient sums).</summary>
        public long SavedCount { get; private set; }

        /// <summary>Floats of im2col scratch per sample, the largest any convolution needs.</summary>
        public long ScratchPerSample { get; private set; }

        public int DropoutCount { get; private set; }

        public ConditionStage? Condition { get; private set; }

        /// <summary>The heads in declaration order; empty for a network of one chain.</summary>
        public List<HeadPlan> Heads { get; } = new();

        /// <summary>With heads: the slot of the trunk's output, which every head reads.</summary>
        public int TrunkSlot { get; private set; } = -1;

        /// <summary>With heads: a slot of the trunk's width where the second and later heads' gradients land before they are added to the trunk's.</summary>
        public int HeadSumSlot { get; private set; } = -1;

        /// <summary>The slot of the network's output: its first head's with heads, else the last stage's.</summary>
        public int OutputSlot => Heads.Count > 0 ? Heads[0].OutputSlot : _lastSlot;

        private int _lastSlot;

        public int InputFeatures => Slots[0].Features;

        public int OutputFeatures => Slots[OutputSlot].Features;

        public Shape OutputShape => Slots[OutputSlot];

        public static NetworkPlan Create(NetworkModel model)
        {
            var plan = new NetworkPlan(model);
            var shapes = Shapes.Infer(model.Layers, model.Name, report: null);
            var layers = model.Layers;
            plan.Slots.Add(shapes[0]!);
            plan.Layers.Add(new LayerRow(LayerKind.Input, layers[0].Text, shapes[0]!, ActivationKind.None, 0f, -1, -1, 0, -1));

            // The current tensor: its slot, and its shape (Reshape/Flatten change the shape, not the slot). A stage
            // writes a new slot, the next one; a head starts again from the trunk's output.
            int slot = 0;
            Shape shape = shapes[0]!;
            Stage? open = null;
            Shape? trunkShape = null;
            var saved = new Dictionary<string, (int Slot, Shape Shape)>();
            var sharing = model.Sharing;
            int sharedFirst = -1, sharedEnd = -1; // the shared parameters' indices
            for (int i = 1; i < layers.Count; i++)
            {
                var layer = layers[i];
                if (sharing is not null && i == sharing.First)
                {
                    sharedFirst = plan.Parameters.Count;
                }

                if (sharing is not null && i == sharing.End)
                {
                    sharedEnd = plan.Parameters.Count;
                }

                var outShape = shapes[i]!;
                int firstParameter = plan.Parameters.Count;
                int next = plan.Slots.Count;
                Stage? stage = null;
                switch (layer.Kind)
                {
                    case LayerKind.Head:
                        plan.Slots[slot] = shape; // a Reshape or Flatten ending the trunk or the head before
                        if (plan.TrunkSlot < 0)
                        {
                            plan.TrunkSlot = slot;
                            trunkShape = shape;
                        }
                        else
                        {
                            plan.EndHead(slot, shape);
                        }

                        plan.Heads.Add(new HeadPlan(layer.Name, plan.Stages.Count, -1, -1, shape));
                        slot = plan.TrunkSlot;
                        shape = trunkShape!;
                        outShape = shape;
                        break;

                    case LayerKind.Dense:
                    {
                        int w = plan.AddParameter(ParameterKind.Weight, layer.Size, shape.Features, shape.Features, new[] { layer.Size, shape.Features }, $"{layer.Text} weight");
                        int b = layer.Bias ? plan.AddParameter(ParameterKind.Bias, 1, layer.Size, shape.Features, new[] { layer.Size }, $"{layer.Text} bias") : -1;
                        stage = new DenseStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, w, b);
                        break;
                    }

                    case LayerKind.Conv2D:
                    {
                        int fanIn = shape.Channels * layer.Kernel * layer.Kernel;
                        int w = plan.AddParameter(ParameterKind.Weight, layer.Size, fanIn, fanIn, new[] { layer.Size, shape.Channels, layer.Kernel, layer.Kernel }, $"{layer.Text} weight");
                        int b = layer.Bias ? plan.AddParameter(ParameterKind.Bias, 1, layer.Size, fanIn, new[] { layer.Size }, $"{layer.Text} bias") : -1;
                        var geometry = Shapes.Convolution(shape, layer)!;
                        stage = new ConvStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, w, b, geometry);
                        plan.ScratchPerSample = System.Math.Max(plan.ScratchPerSample, (long)geometry.OutHeight * geometry.OutWidth * fanIn);
                        break;
                    }

                    case LayerKind.ConvTranspose2D:
                    {
                        // PyTorch stores (in, out, k, k) and, as its fan-in, takes dimension 1: out * k * k.
                        int columns = layer.Size * layer.Kernel * layer.Kernel;
                        int w = plan.AddParameter(ParameterKind.Weight, shape.Channels, columns, columns, new[] { shape.Channels, layer.Size, layer.Kernel, layer.Kernel }, $"{layer.Text} weight");
                        int b = layer.Bias ? plan.AddParameter(ParameterKind.Bias, 1, layer.Size, columns, new[] { layer.Size }, $"{layer.Text} bias") : -1;
                        var geometry = Shapes.Transposed(shape, layer)!;
                        stage = new TransposedStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, w, b, geometry);
                        plan.ScratchPerSample = System.Math.Max(plan.ScratchPerSample, (long)shape.Height * shape.Width * columns);
                        break;
                    }

                    case LayerKind.BatchNorm:
                    {
                        int c = shape.Channels;
                        int scale = plan.AddParameter(ParameterKind.Scale, 1, c, c, new[] { c }, $"{layer.Text} scale (gamma)");
                        plan.AddParameter(ParameterKind.Shift, 1, c, c, new[] { c }, $"{layer.Text} shift (beta)");
                        int running = plan.States.Count;
                        plan.AddState($"running_mean{running / 2}", c, 0f, $"{layer.Text} running mean");
                        plan.AddState($"running_var{running / 2}", c, 1f, $"{layer.Text} running variance");
                        stage = new BatchNormStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, scale, running, plan.SavedCount, layer.Momentum, layer.Epsilon);
                        plan.SavedCount += 4L * c;
                        break;
                    }

                    case LayerKind.InstanceNorm:
                    {
                        int c = shape.Channels, scale = -1;
                        if (layer.Affine)
                        {
                            scale = plan.AddParameter(ParameterKind.Scale, 1, c, c, new[] { c }, $"{layer.Text} scale (weight)");
                            plan.AddParameter(ParameterKind.Shift, 1, c, c, new[] { c }, $"{layer.Text} shift (bias)");
                        }

                        stage = new InstanceNormStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, scale, layer.Epsilon);
                        break;
                    }

                    case LayerKind.Save:
                        saved[layer.Name] = (slot, shape);
                        break;

                    case LayerKind.Concat:
                    case LayerKind.Add:
                    {
                        var (savedSlot, savedShape) = saved[layer.Name];
                        stage = new SkipStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, layer.Kind == LayerKind.Concat, savedSlot, savedShape);
                        break;
                    }

                    case LayerKind.PRelu:
                    {
                        int c = layer.PerChannel ? shape.Channels : 1;
                        int slope = plan.AddParameter(ParameterKind.Slope, 1, c, 1, new[] { c }, $"{layer.Text} slope");
                        stage = new PReluStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, slope, c);
                        break;
                    }

                    case LayerKind.Upsample:
                        stage = new UpsampleStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, layer.Factor);
                        break;

                    case LayerKind.Dropout:
                        stage = new DropoutStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, layer.Rate, plan.DropoutCount++);
                        break;

                    case LayerKind.Condition:
                    {
                        int embedding = layer.Multiply ? shape.Features : layer.Embedding;
                        int table = plan.AddParameter(ParameterKind.Embedding, layer.Size, embedding, 1, new[] { layer.Size, embedding }, $"{layer.Text} label embedding");
                        var condition = new ConditionStage(plan.Stages.Count, slot, next, shape, outShape, layer.Text, table, layer.Size, embedding) { Multiply = layer.Multiply };
                        plan.Condition = condition;
                        stage = condition;
                        break;
                    }

                    case LayerKind.Activation:
                        open = plan.Stages[plan.Stages.Count - 1] = open! with
                        {
                            Activation = layer.Activation,
                            Slope = layer.Slope,
                            Description = open.Description + " + " + layer.Text,
                        };
                        break;
                }

                if (stage is not null)
                {
                    plan.Stages.Add(stage);
                    plan.Slots.Add(outShape);
                    slot = next;
                    open = stage;
                }
                else if (layer.Kind != LayerKind.Activation)
                {
                    open = null;
                }

                long count = 0;
                for (int p = firstParameter; p < plan.Parameters.Count; p++)
                {
                    count += (long)plan.Parameters[p].Rows * plan.Parameters[p].Cols;
                }

                int weightIndex = plan.Parameters.Count > firstParameter ? firstParameter : -1;
                int biasIndex = plan.Parameters.Count > firstParameter + 1 ? firstParameter + 1 : -1;
                plan.Layers.Add(new LayerRow(layer.Kind, layer.Text, outShape, layer.Activation, layer.Slope, weightIndex, biasIndex, count, stage?.Index ?? -1, plan.Heads.Count - 1, layer.Name));
                shape = outShape;
            }

            if (sharing is not null)
            {
                plan.Share(sharedFirst, sharedEnd < 0 ? plan.Parameters.Count : sharedEnd, sharing.OwnerOffset);
            }

            // Reshape or Flatten at the end: the last slot takes the final shape.
            plan.Slots[slot] = shape;
            plan._lastSlot = slot;
            if (plan.Heads.Count > 0)
            {
                plan.EndHead(slot, shape);
                plan.HeadSumSlot = plan.Slots.Count;
                plan.Slots.Add(trunkShape!);
            }

            // Each skip's gradient for its saved tensor gets a slot of its own, after the others.
            for (int k = 0; k < plan.Stages.Count; k++)
            {
                if (plan.Stages[k] is SkipStage skip)
                {
                    plan.Stages[k] = skip with { SkipSlot = plan.Slots.Count };
                    plan.Slots.Add(plan.Slots[skip.SavedSlot]);
                }
            }

            // A narrow Dense layer takes over the backward prologue of a Dense + activation right before it, when it
            // alone reads that layer's output (not when heads or a skip share it: their gradients add up before the prologue).
            for (int k = 1; k < plan.Stages.Count; k++)
            {
                if (KernelEmitter.IsNarrow(plan.Stages[k]) && plan.Stages[k - 1] is DenseStage { HasActivation: true } before
                    && plan.Stages[k].InSlot == before.OutSlot && before.OutSlot != plan.TrunkSlot
                    && plan.Parameters[before.Weight].Shared == plan.Parameters[((DenseStage)plan.Stages[k]).Weight].Shared
                    && !plan.Stages.Any(s => s is SkipStage skip && skip.SavedSlot == before.OutSlot))
                {
                    plan.Stages[k - 1] = before = before with { PrologueInNext = true };
                    plan.Stages[k] = (DenseStage)plan.Stages[k] with { Predecessor = before };
                }
            }

            return plan;
        }

        // Parameters [first, end) are the owner's, from ownerOffset on in its buffer: they leave this network's, whose
        // later parameters move down over them.
        private void Share(int first, int end, long ownerOffset)
        {
            long start = Parameters[first].Offset, length = 0;
            for (int p = first; p < end; p++)
            {
                length += Parameters[p].Rows * (long)Parameters[p].Cols;
            }

            for (int p = first; p < Parameters.Count; p++)
            {
                Parameters[p] = p < end
                    ? Parameters[p] with { Offset = ownerOffset + Parameters[p].Offset - start, Shared = true }
                    : Parameters[p] with { Offset = Parameters[p].Offset - length };
            }

            ParameterCount -= length;
            SharedCount = length;
        }

        // The head being read ends at <paramref name="slot"/>, its output of <paramref name="shape"/>.
        private void EndHead(int slot, Shape shape) =>
            Heads[Heads.Count - 1] = Heads[Heads.Count - 1] with { EndStage = Stages.Count, OutputSlot = slot, OutputShape = shape };

        private int AddParameter(ParameterKind role, int rows, int cols, int fanIn, int[] shape, string description)
        {
            string prefix = role switch
            {
                ParameterKind.Weight => "W",
                ParameterKind.Bias => "b",
                ParameterKind.Scale => "gamma",
                ParameterKind.Shift => "beta",
                ParameterKind.Slope => "alpha",
                _ => "E",
            };
            int index = 0;
            foreach (var p in Parameters)
            {
                if (p.Role == role)
                {
                    index++;
                }
            }

            Parameters.Add(new ParameterPlan(prefix + index, role, rows, cols, ParameterCount, fanIn, shape, description));
            ParameterCount += (long)rows * cols;
            return Parameters.Count - 1;
        }

        private void AddState(string name, int length, float initial, string description)
        {
            States.Add(new StatePlan(name, length, StateCount, initial, description));
            StateCount += length;
        }

        // Heads drawn as a tree: each head's row hangs off the trunk, its layers indented under it.
        private string Branch(LayerRow layer)
        {
            if (layer.Head < 0)
            {
                return "";
            }

            bool last = layer.Head == Heads.Count - 1;
            return layer.Kind == LayerKind.Head ? (last ? "\u2514\u2500 " : "\u251c\u2500 ") : (last ? "   " : "\u2502  ");
        }

        /// <summary>A Keras-style summary: one row per layer as declared (heads as a tree), then the totals.</summary>
        public string Summary()
        {
            var rows = new List<string[]> { new[] { "#", "Layer", "Output shape", "Params" } };
            for (int i = 0; i < Layers.Count; i++)
            {
                var layer = Layers[i];
                var shape = layer.OutputShape;
                string text = shape.Spatial
                    ? $"(batch, {Format.Int(shape.Channels)}, {Format.Int(shape.Height)}, {Format.Int(shape.Width)})"
                    : $"(batch, {Format.Int(shape.Features)})";
                bool shared = Model.Sharing is { } sharing && i >= sharing.First && i < sharing.End && layer.Parameters > 0;
                rows.Add(new[] { Format.Int(i), Branch(layer) + layer.Description, text, Format.Count(layer.Parameters) + (shared ? " shared" : "") });
            }

            var widths = new int[4];
            foreach (var row in rows)
            {
                for (int c = 0; c < 4; c++)
                {
                    widths[c] = System.Math.Max(widths[c], row[c].Length);
                }
            }

            var text2 = new StringBuilder();
            text2.Append("Model: ").Append(Model.Name).Append('\n');
            int total = widths[0] + widths[1] + widths[2] + widths[3] + 6;
            text2.Append('-', total).Append('\n');
            for (int r = 0; r < rows.Count; r++)
            {
                var row = rows[r];
                text2.Append(row[0].PadLeft(widths[0])).Append("  ")
                    .Append(row[1].PadRight(widths[1])).Append("  ")
                    .Append(row[2].PadRight(widths[2])).Append("  ")
                    .Append(row[3].PadLeft(widths[3])).Append('\n');
                if (r == 0)
                {
                    text2.Append('-', total).Append('\n');
                }
            }

            text2.Append('-', total).Append('\n');
            double kib = ParameterCount * 4 / 1024.0;
            text2.Append("Total params: ").Append(Format.Count(ParameterCount))
                .Append(" (").Append(kib.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).Append(" KiB as float32)");
            if (Model.Sharing is { } owner)
            {
                text2.Append("; ").Append(Format.Count(SharedCount)).Append(" more shared with ").Append(owner.Owner);
            }

            if (StateCount > 0)
            {
                text2.Append("; non-trainable state: ").Append(Format.Count(StateCount));
            }

            return text2.ToString();
        }
    }
}
