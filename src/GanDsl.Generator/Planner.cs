using System.Collections.Generic;
using System.Text;
using GanDsl.Generator.Model;

namespace GanDsl.Generator
{
    /// <summary>
    /// A Dense layer with the activation that follows it: one GEMM plus one fused epilogue forward,
    /// one fused prologue (activation derivative + bias gradient) plus up to two GEMMs backward.
    /// </summary>
    internal sealed record DenseBlock(int Index, int In, int Out, bool Bias, ActivationKind Activation, float Slope, int WeightParameter, int BiasParameter, string Description)
    {
        /// <summary>Activation slot read by the block (slot 0 is the network input).</summary>
        public int InSlot => Index;

        /// <summary>Activation slot written by the block.</summary>
        public int OutSlot => Index + 1;

        public bool HasActivation => Activation != ActivationKind.None;

        public string Weight => "W" + Index;

        public string BiasName => "b" + Index;
    }

    /// <summary>A parameter tensor in the contiguous parameter buffer.</summary>
    internal sealed record ParameterPlan(string Name, int Rows, int Cols, long Offset, int FanIn, string Description, bool IsBias);

    /// <summary>A layer as declared, for the summary and the runtime's layer table.</summary>
    internal sealed record LayerRow(LayerKind Kind, string Description, int OutputFeatures, ActivationKind Activation, float Slope, int WeightIndex, int BiasIndex, long Parameters);

    /// <summary>Arena layout and the op list of one network, derived from its model.</summary>
    internal sealed class NetworkPlan
    {
        private NetworkPlan(NetworkModel model)
        {
            Model = model;
        }

        public NetworkModel Model { get; }

        public List<DenseBlock> Blocks { get; } = new();

        public List<ParameterPlan> Parameters { get; } = new();

        public List<LayerRow> Layers { get; } = new();

        /// <summary>Widths of the stored activations: the input, then each block's output.</summary>
        public List<int> ActivationWidths { get; } = new();

        public long ParameterCount { get; private set; }

        public int InputFeatures => ActivationWidths[0];

        public int OutputFeatures => ActivationWidths[ActivationWidths.Count - 1];

        public static NetworkPlan Create(NetworkModel model)
        {
            var plan = new NetworkPlan(model);
            int width = 0;
            long offset = 0;
            DenseBlock? open = null;
            foreach (var layer in model.Layers)
            {
                switch (layer.Kind)
                {
                    case LayerKind.Input:
                        width = layer.Size;
                        plan.ActivationWidths.Add(width);
                        plan.Layers.Add(new LayerRow(LayerKind.Input, $"Input({layer.Size})", width, ActivationKind.None, 0f, -1, -1, 0));
                        break;

                    case LayerKind.Dense:
                    {
                        Close();
                        int index = plan.Blocks.Count;
                        int weight = plan.Parameters.Count;
                        plan.Parameters.Add(new ParameterPlan("W" + index, layer.Size, width, offset, width, $"Dense({layer.Size}) weight", false));
                        offset += (long)layer.Size * width;
                        int bias = -1;
                        if (layer.Bias)
                        {
                            bias = plan.Parameters.Count;
                            plan.Parameters.Add(new ParameterPlan("b" + index, 1, layer.Size, offset, width, $"Dense({layer.Size}) bias", true));
                            offset += layer.Size;
                        }

                        string description = layer.Bias ? $"Dense({layer.Size})" : $"Dense({layer.Size}, Bias = false)";
                        long count = (long)layer.Size * width + (layer.Bias ? layer.Size : 0);
                        plan.Layers.Add(new LayerRow(LayerKind.Dense, description, layer.Size, ActivationKind.None, 0f, weight, bias, count));
                        open = new DenseBlock(index, width, layer.Size, layer.Bias, ActivationKind.None, 0f, weight, bias, description);
                        width = layer.Size;
                        break;
                    }

                    case LayerKind.Activation:
                    {
                        string description = layer.Activation == ActivationKind.LeakyRelu ? $"LeakyRelu({Format.Float(layer.Slope)})" : layer.Activation.ToString();
                        plan.Layers.Add(new LayerRow(LayerKind.Activation, description, width, layer.Activation, layer.Slope, -1, -1, 0));
                        open = open! with { Activation = layer.Activation, Slope = layer.Slope, Description = open.Description + " + " + description };
                        break;
                    }
                }
            }

            Close();
            plan.ParameterCount = offset;
            return plan;

            void Close()
            {
                if (open is not null)
                {
                    plan.Blocks.Add(open);
                    plan.ActivationWidths.Add(open.Out);
                    open = null;
                }
            }
        }

        /// <summary>A Keras-style summary: one row per layer as declared, then the totals.</summary>
        public string Summary()
        {
            var rows = new List<string[]> { new[] { "#", "Layer", "Output shape", "Params" } };
            for (int i = 0; i < Layers.Count; i++)
            {
                var layer = Layers[i];
                rows.Add(new[] { Format.Int(i), layer.Description, $"(batch, {Format.Int(layer.OutputFeatures)})", Format.Count(layer.Parameters) });
            }

            var widths = new int[4];
            foreach (var row in rows)
            {
                for (int c = 0; c < 4; c++)
                {
                    widths[c] = System.Math.Max(widths[c], row[c].Length);
                }
            }

            var text = new StringBuilder();
            text.Append("Model: ").Append(Model.Name).Append('\n');
            int total = widths[0] + widths[1] + widths[2] + widths[3] + 6;
            text.Append('-', total).Append('\n');
            for (int r = 0; r < rows.Count; r++)
            {
                var row = rows[r];
                text.Append(row[0].PadLeft(widths[0])).Append("  ")
                    .Append(row[1].PadRight(widths[1])).Append("  ")
                    .Append(row[2].PadRight(widths[2])).Append("  ")
                    .Append(row[3].PadLeft(widths[3])).Append('\n');
                if (r == 0)
                {
                    text.Append('-', total).Append('\n');
                }
            }

            text.Append('-', total).Append('\n');
            double kib = ParameterCount * 4 / 1024.0;
            text.Append("Total params: ").Append(Format.Count(ParameterCount))
                .Append(" (").Append(kib.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).Append(" KiB as float32)");
            return text.ToString();
        }
    }
}
