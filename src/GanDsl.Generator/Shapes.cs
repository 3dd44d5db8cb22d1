using System;
using System.Collections.Generic;
using GanDsl.Backends;
using GanDsl.Generator.Model;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator
{
    /// <summary>
    /// Shape inference: every layer's output shape from the input onwards, and every way a network
    /// can be malformed as a diagnostic at the layer that causes it.
    /// </summary>
    internal static class Shapes
    {
        /// <summary>Checks <paramref name="layers"/>, reporting problems at <paramref name="locations"/> (one per layer).</summary>
        public static void Check(List<LayerModel> layers, List<Location> locations, string network, Location classLocation, bool gradientPenalty, List<DiagnosticInfo> diagnostics)
        {
            Infer(layers, network, (index, descriptor, args) =>
                diagnostics.Add(DiagnosticInfo.Create(descriptor, index < 0 ? classLocation : locations[index], args)));

            if (gradientPenalty)
            {
                for (int i = 0; i < layers.Count; i++)
                {
                    var layer = layers[i];
                    if (layer.Kind == LayerKind.BatchNorm
                        || (layer.Kind == LayerKind.Activation && layer.Activation is ActivationKind.Tanh or ActivationKind.Sigmoid))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotTwiceDifferentiable, locations[i], layer.Text, network));
                    }
                }
            }
        }

        /// <summary>
        /// The output shape of every layer (the input's for index 0). Problems go to <paramref name="report"/>
        /// with the layer's index (-1 for the class); a layer whose shape cannot be known gets null and the
        /// rest are still checked where they can be.
        /// </summary>
        public static Shape?[] Infer(IReadOnlyList<LayerModel> layers, string network, Action<int, DiagnosticDescriptor, object[]>? report)
        {
            void Report(int index, DiagnosticDescriptor descriptor, params object[] args) => report?.Invoke(index, descriptor, args);
            var shapes = new Shape?[layers.Count];
            int input = -1;
            for (int i = 0; i < layers.Count; i++)
            {
                if (layers[i].Kind == LayerKind.Input)
                {
                    input = i;
                    break;
                }
            }

            if (input < 0)
            {
                Report(-1, DiagnosticDescriptors.MissingInput, network);
                return shapes;
            }

            if (input > 0)
            {
                Report(input, DiagnosticDescriptors.InputNotFirst, network, layers[0].Text);
                return shapes;
            }

            Shape? shape = layers[0].Declared;
            shapes[0] = shape;
            bool hasParameters = false;
            for (int i = 1; i < layers.Count; i++)
            {
                var layer = layers[i];
                var previous = layers[i - 1];
                switch (layer.Kind)
                {
                    case LayerKind.Input:
                        Report(i, DiagnosticDescriptors.InputNotFirst, network, layers[0].Text);
                        break;

                    case LayerKind.Condition:
                        if (i != 1)
                        {
                            Report(i, DiagnosticDescriptors.ConditionNotAfterInput, network);
                        }

                        hasParameters = true;
                        shape = shape is null ? null
                            : shape.Spatial ? shape with { Channels = shape.Channels + layer.Embedding }
                            : Shape.Vector(shape.Features + layer.Embedding);
                        break;

                    case LayerKind.Dense:
                        hasParameters = true;
                        if (shape is { Spatial: true })
                        {
                            Report(i, DiagnosticDescriptors.DenseNeedsVector, layer.Text, network, shape.ToString());
                        }

                        shape = Shape.Vector(layer.Size);
                        break;

                    case LayerKind.Conv2D:
                    case LayerKind.ConvTranspose2D:
                    {
                        hasParameters = true;
                        if (shape is { Spatial: false })
                        {
                            Report(i, DiagnosticDescriptors.ConvolutionNeedsImage, layer.Text, network, shape.Features);
                            shape = null;
                            break;
                        }

                        if (shape is null)
                        {
                            break;
                        }

                        var before = shape;
                        var geometry = layer.Kind == LayerKind.Conv2D ? Convolution(before, layer) : Transposed(before, layer);
                        if (geometry is null)
                        {
                            if (layer.Kind == LayerKind.ConvTranspose2D && layer.OutputSize > 0)
                            {
                                var (low, high) = TransposedRange(before.Height, layer.Kernel, layer.Stride);
                                Report(i, DiagnosticDescriptors.TransposedCannotReach, layer.Text, network, layer.OutputSize, before.Height, layer.Kernel, layer.Stride, low, high);
                            }
                            else
                            {
                                Report(i, DiagnosticDescriptors.EmptyOutput, layer.Text, network, before.ToString());
                            }

                            shape = null;
                            break;
                        }

                        shape = layer.Kind == LayerKind.Conv2D
                            ? new Shape(layer.Size, geometry.OutHeight, geometry.OutWidth, true)
                            : new Shape(layer.Size, geometry.InHeight, geometry.InWidth, true);
                        break;
                    }

                    case LayerKind.BatchNorm:
                    case LayerKind.Dropout:
                        break;

                    case LayerKind.Reshape:
                        if (shape is not null && shape.Features != layer.Declared!.Features)
                        {
                            Report(i, DiagnosticDescriptors.ReshapeMismatch, layer.Text, network, layer.Declared.Features, shape.ToString(), shape.Features);
                        }

                        shape = layer.Declared;
                        break;

                    case LayerKind.Flatten:
                        shape = shape is null ? null : Shape.Vector(shape.Features);
                        break;

                    case LayerKind.Activation:
                        if (previous.Kind is not (LayerKind.Dense or LayerKind.Conv2D or LayerKind.ConvTranspose2D or LayerKind.BatchNorm))
                        {
                            string after = previous.Kind == LayerKind.Input ? " (an Input has nothing to activate)"
                                : previous.Kind == LayerKind.Activation ? $" (it follows {previous.Text}; one activation per layer)"
                                : $" (it follows {previous.Text})";
                            Report(i, DiagnosticDescriptors.ActivationWithoutLayer, layer.Text, network, after);
                        }

                        break;
                }

                shapes[i] = shape;
            }

            if (!hasParameters)
            {
                Report(-1, DiagnosticDescriptors.NoLayers, network);
            }

            return shapes;
        }

        /// <summary>
        /// A convolution's geometry, Keras padding: Same gives ceil(in / stride) with the padding split
        /// evenly, the odd pixel at the bottom and right (TensorFlow's rule); Valid gives
        /// ceil((in - kernel + 1) / stride). Null when the output would be empty.
        /// </summary>
        public static ConvGeometry? Convolution(Shape input, LayerModel layer)
        {
            int k = layer.Kernel, s = layer.Stride;
            int outH = layer.Padding == Padding.Same ? Ceil(input.Height, s) : Ceil(input.Height - k + 1, s);
            int outW = layer.Padding == Padding.Same ? Ceil(input.Width, s) : Ceil(input.Width - k + 1, s);
            if (outH <= 0 || outW <= 0)
            {
                return null;
            }

            int padH = layer.Padding == Padding.Same ? Math.Max((outH - 1) * s + k - input.Height, 0) : 0;
            int padW = layer.Padding == Padding.Same ? Math.Max((outW - 1) * s + k - input.Width, 0) : 0;
            return new ConvGeometry(input.Channels, input.Height, input.Width, outH, outW, k, s, padH / 2, padW / 2);
        }

        /// <summary>
        /// A transposed convolution's geometry, as the convolution from its output (size O) back to its
        /// input (size H) that it is the adjoint of. O is H * stride for Same, (H - 1) * stride + kernel for
        /// Valid, or the OutputSize asked for. Null when O cannot be reached (see <see cref="TransposedRange"/>).
        /// </summary>
        public static ConvGeometry? Transposed(Shape input, LayerModel layer)
        {
            int k = layer.Kernel, s = layer.Stride;
            int natural(int h) => layer.Padding == Padding.Same ? h * s : (h - 1) * s + k;
            int outH = layer.OutputSize > 0 ? layer.OutputSize : natural(input.Height);
            int outW = layer.OutputSize > 0 ? layer.OutputSize : natural(input.Width);
            int? padH = TransposedPadding(input.Height, outH, k, s);
            int? padW = TransposedPadding(input.Width, outW, k, s);
            return padH is null || padW is null
                ? null
                : new ConvGeometry(layer.Size, outH, outW, input.Height, input.Width, k, s, padH.Value, padW.Value);
        }

        /// <summary>The output sizes a transposed convolution of an input of <paramref name="h"/> can reach.</summary>
        public static (int Low, int High) TransposedRange(int h, int k, int s) =>
            (Math.Max(1, (h - 1) * s + k - (2 * (k - 1)) - 1), (h - 1) * s + k + s - 1);

        // Total padding P = (H - 1) s + k - O: the rows the forward convolution would read beyond the
        // output. It may be negative by up to s - 1 (PyTorch's output_padding: trailing rows that only
        // get the bias) and the top padding P / 2 must stay within the kernel.
        private static int? TransposedPadding(int h, int o, int k, int s)
        {
            int total = (h - 1) * s + k - o;
            if (o < 1 || total < -(s - 1))
            {
                return null;
            }

            int top = Math.Max(total, 0) / 2;
            return top <= k - 1 ? top : null;
        }

        private static int Ceil(int value, int divisor) => value <= 0 ? 0 : (value + divisor - 1) / divisor;
    }
}
