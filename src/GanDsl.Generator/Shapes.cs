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
                    if (layers[i].Kind == LayerKind.Save)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SkipNotHere, locations[i], layers[i].Text, network, "[GradientPenalty]'s second-order pass takes one chain, without skips"));
                    }
                }

                int head = layers.FindIndex(l => l.Kind == LayerKind.Head);
                if (head >= 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadsWithGradientPenalty, locations[head], network));
                }

                for (int i = 0; i < layers.Count; i++)
                {
                    var layer = layers[i];
                    if (layer.Kind is LayerKind.BatchNorm or LayerKind.PRelu or LayerKind.InstanceNorm || (layer.Kind == LayerKind.Condition && layer.Multiply)
                        || (layer.Kind == LayerKind.Activation && layer.Activation is ActivationKind.Tanh or ActivationKind.Sigmoid or ActivationKind.Elu or ActivationKind.Selu))
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
            // One diagnostic says what is wrong at a layer; the sizes that follow from it are not reported again.
            int lastReported = int.MinValue;
            bool sizeReported = false;
            void Report(int index, DiagnosticDescriptor descriptor, params object[] args)
            {
                lastReported = index;
                sizeReported |= descriptor == DiagnosticDescriptors.SizeTooLarge;
                report?.Invoke(index, descriptor, args);
            }

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

            Shape? shape = WithinLimits(0, layers[0].Declared);
            shapes[0] = shape;

            // Heads: the trunk's output shape, whether a layer that computes came since the trunk's start or the
            // head's, the head being read (its layer index) and the names seen.
            bool inHeads = false, computed = false;
            Shape? trunk = null;
            int head = -1;
            var headNames = new HashSet<string>(StringComparer.Ordinal);

            // Skips: each saved tensor's layer index and shape, and whether a Concat or Add has joined it.
            var saves = new Dictionary<string, (int Index, Shape? Shape, bool Joined)>(StringComparer.Ordinal);
            bool computedAny = false;
            bool hasParameters = false;
            long parameters = 0, values = shape?.FeatureCount ?? 0, scratch = 0;
            for (int i = 1; i < layers.Count; i++)
            {
                var layer = layers[i];
                var previous = layers[i - 1];
                long layerParameters = ParameterCount(layer, shape);
                if (layerParameters > NetworkLimits.MaxParameters)
                {
                    Report(i, DiagnosticDescriptors.SizeTooLarge, layer.Text, network, "its parameter count", Format.Count(layerParameters), Format.Count(NetworkLimits.MaxParameters), "; use fewer units, filters or a smaller kernel");
                }

                parameters = Math.Min(parameters + layerParameters, long.MaxValue / 2);
                switch (layer.Kind)
                {
                    case LayerKind.Input:
                        Report(i, DiagnosticDescriptors.InputNotFirst, network, layers[0].Text);
                        break;

                    case LayerKind.Head:
                        if (!inHeads)
                        {
                            if (!computed)
                            {
                                Report(i, DiagnosticDescriptors.HeadBeforeTrunk, layer.Name, network);
                            }

                            inHeads = true;
                            trunk = shape;
                            values = Math.Min(values + (shape?.FeatureCount ?? 0), long.MaxValue / 2); // the slot where the heads' trunk gradients add up
                        }
                        else
                        {
                            if (!computed)
                            {
                                Report(head, DiagnosticDescriptors.EmptyHead, layers[head].Name, network);
                            }

                            shape = trunk;
                        }

                        if (!headNames.Add(layer.Name))
                        {
                            Report(i, DiagnosticDescriptors.DuplicateHead, network, layer.Name);
                        }

                        head = i;
                        computed = false;
                        break;

                    case LayerKind.Condition:
                        if (i != 1)
                        {
                            Report(i, DiagnosticDescriptors.ConditionNotAfterInput, network);
                        }

                        hasParameters = true;
                        shape = shape is null || layer.Multiply ? shape
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

                    case LayerKind.PRelu:
                        hasParameters = true;
                        break;

                    case LayerKind.Save:
                        if (!computedAny)
                        {
                            Report(i, DiagnosticDescriptors.SkipNotHere, layer.Text, network, "a Save follows a layer that computes (the input itself is not saved)");
                        }

                        if (saves.ContainsKey(layer.Name))
                        {
                            Report(i, DiagnosticDescriptors.SavedTwice, layer.Text, network, layer.Name, "is saved twice");
                        }
                        else
                        {
                            saves[layer.Name] = (i, shape, false);
                        }

                        break;

                    case LayerKind.Concat:
                    case LayerKind.Add:
                    {
                        bool concat = layer.Kind == LayerKind.Concat;
                        if (!saves.TryGetValue(layer.Name, out var saved))
                        {
                            Report(i, DiagnosticDescriptors.UnknownSaved, layer.Text, network, layer.Name);
                            shape = concat ? null : shape;
                            break;
                        }

                        if (saved.Joined)
                        {
                            Report(i, DiagnosticDescriptors.SavedTwice, layer.Text, network, layer.Name, "is joined twice");
                        }

                        saves[layer.Name] = saved with { Joined = true };
                        if (shape is null || saved.Shape is null)
                        {
                            shape = concat ? null : shape;
                        }
                        else if (concat && !(shape.Spatial && saved.Shape.Spatial && shape.Height == saved.Shape.Height && shape.Width == saved.Shape.Width))
                        {
                            Report(i, DiagnosticDescriptors.SkipShape, layer.Text, network, layer.Name, saved.Shape.ToString(), shape.ToString(), "Concat joins images of the same height and width");
                            shape = null;
                        }
                        else if (!concat && shape != saved.Shape)
                        {
                            Report(i, DiagnosticDescriptors.SkipShape, layer.Text, network, layer.Name, saved.Shape.ToString(), shape.ToString(), "Add joins tensors of the same shape");
                        }
                        else if (concat)
                        {
                            shape = shape with { Channels = shape.Channels + saved.Shape.Channels };
                        }

                        break;
                    }

                    case LayerKind.InstanceNorm:
                        hasParameters |= layer.Affine;
                        if (shape is { Spatial: false })
                        {
                            Report(i, DiagnosticDescriptors.ConvolutionNeedsImage, layer.Text, network, shape.Features);
                            shape = null;
                        }

                        break;

                    case LayerKind.BatchNorm:
                    case LayerKind.Dropout:
                        break;

                    case LayerKind.Upsample:
                    {
                        if (shape is { Spatial: false })
                        {
                            Report(i, DiagnosticDescriptors.ConvolutionNeedsImage, layer.Text, network, shape.Features);
                            shape = null;
                            break;
                        }

                        if (shape is null || layer.Factor <= 0)
                        {
                            shape = null;
                            break;
                        }

                        long height = (long)shape.Height * layer.Factor, width = (long)shape.Width * layer.Factor;
                        if (height > NetworkLimits.MaxSide || width > NetworkLimits.MaxSide)
                        {
                            Report(i, DiagnosticDescriptors.SizeTooLarge, layer.Text, network, "its output side", Format.Count(Math.Max(height, width)), Format.Count(NetworkLimits.MaxSide), "; use a smaller factor");
                            shape = null;
                            break;
                        }

                        shape = new Shape(shape.Channels, (int)height, (int)width, true);
                        break;
                    }

                    case LayerKind.Reshape:
                        if (shape is not null && shape.FeatureCount != layer.Declared!.FeatureCount)
                        {
                            Report(i, DiagnosticDescriptors.ReshapeMismatch, layer.Text, network, layer.Declared.FeatureCount, shape.ToString(), shape.FeatureCount);
                        }

                        shape = layer.Declared;
                        break;

                    case LayerKind.Flatten:
                        shape = shape is null ? null : Shape.Vector(shape.Features);
                        break;

                    case LayerKind.Activation:
                        if (previous.Kind is not (LayerKind.Dense or LayerKind.Conv2D or LayerKind.ConvTranspose2D or LayerKind.BatchNorm or LayerKind.InstanceNorm))
                        {
                            string after = previous.Kind == LayerKind.Input ? " (an Input has nothing to activate)"
                                : previous.Kind == LayerKind.Activation ? $" (it follows {previous.Text}; one activation per layer)"
                                : $" (it follows {previous.Text})";
                            Report(i, DiagnosticDescriptors.ActivationWithoutLayer, layer.Text, network, after);
                        }

                        break;
                }

                if (shape is not null && layer.Kind is LayerKind.Conv2D or LayerKind.ConvTranspose2D && shapes[i - 1] is { } into)
                {
                    // The columns a convolution unfolds one sample into (its input's pixels for a transposed one).
                    long pixels = layer.Kind == LayerKind.Conv2D ? (long)shape.Height * shape.Width : (long)into.Height * into.Width;
                    long columns = NetworkLimits.Multiply(layer.Kind == LayerKind.Conv2D ? into.Channels : layer.Size, (long)layer.Kernel * layer.Kernel);
                    scratch = Math.Max(scratch, NetworkLimits.Multiply(pixels, columns));
                }

                computed |= Computes(layer.Kind);
                computedAny |= Computes(layer.Kind);
                shape = lastReported == i && shape is not null && shape.FeatureCount > NetworkLimits.MaxFeatures ? null : WithinLimits(i, shape);
                shapes[i] = shape;
                values = Math.Min(values + (shape?.FeatureCount ?? 0), long.MaxValue / 2);
            }

            if (inHeads && !computed)
            {
                Report(head, DiagnosticDescriptors.EmptyHead, layers[head].Name, network);
            }

            if (inHeads)
            {
                foreach (var saved in saves.Values)
                {
                    Report(saved.Index, DiagnosticDescriptors.SkipNotHere, layers[saved.Index].Text, network, "skips in a network with heads are not supported yet");
                }
            }

            if (!hasParameters)
            {
                Report(-1, DiagnosticDescriptors.NoLayers, network);
            }

            if (parameters > NetworkLimits.MaxParameters && !sizeReported)
            {
                Report(-1, DiagnosticDescriptors.SizeTooLarge, layers[0].Text, network, "the network's parameter count", Format.Count(parameters), Format.Count(NetworkLimits.MaxParameters), "; split it into networks that feed each other");
            }

            long perSample = Math.Min(values + scratch, long.MaxValue / 2);
            if (perSample > NetworkLimits.MaxValuesPerSample && !sizeReported)
            {
                Report(-1, DiagnosticDescriptors.SizeTooLarge, layers[0].Text, network, "the values one sample keeps over all layers", Format.Count(perSample), Format.Count(NetworkLimits.MaxValuesPerSample), "; use fewer channels or smaller images");
            }

            return shapes;

            // A layer's output past the limits is reported at the layer and its shape is unknown from there on.
            Shape? WithinLimits(int index, Shape? output)
            {
                if (output is null)
                {
                    return null;
                }

                string text = layers[index].Text;
                if (output.Spatial && Math.Max(output.Height, output.Width) > NetworkLimits.MaxSide)
                {
                    Report(index, DiagnosticDescriptors.SizeTooLarge, text, network, $"its output image {output}", Format.Count(Math.Max(output.Height, output.Width)) + " pixels a side", Format.Count(NetworkLimits.MaxSide), "");
                    return null;
                }

                if (output.FeatureCount > NetworkLimits.MaxFeatures)
                {
                    Report(index, DiagnosticDescriptors.SizeTooLarge, text, network, $"its output {output}", Format.Count(output.FeatureCount) + " values a sample", Format.Count(NetworkLimits.MaxFeatures), "; use fewer channels or a smaller image");
                    return null;
                }

                return output;
            }
        }

        /// <summary>Whether a layer of <paramref name="kind"/> computes (makes a stage with an activation slot of its own); views, activations and heads do not.</summary>
        public static bool Computes(LayerKind kind) =>
            kind is LayerKind.Dense or LayerKind.Conv2D or LayerKind.ConvTranspose2D or LayerKind.BatchNorm or LayerKind.Dropout or LayerKind.Upsample or LayerKind.Condition or LayerKind.PRelu or LayerKind.InstanceNorm or LayerKind.Concat or LayerKind.Add;

        // The parameters a layer adds on an input of shape <paramref name="input"/> (0 when unknown), without overflow.
        private static long ParameterCount(LayerModel layer, Shape? input)
        {
            if (input is null)
            {
                return layer.Kind == LayerKind.Condition && !layer.Multiply ? NetworkLimits.Multiply(layer.Size, layer.Embedding) : 0;
            }

            long kernel = (long)layer.Kernel * layer.Kernel;
            return layer.Kind switch
            {
                LayerKind.Dense => NetworkLimits.Multiply(input.FeatureCount, layer.Size) + layer.Size,
                LayerKind.Conv2D or LayerKind.ConvTranspose2D => NetworkLimits.Multiply(NetworkLimits.Multiply(input.Channels, layer.Size), kernel) + layer.Size,
                LayerKind.Condition => NetworkLimits.Multiply(layer.Size, layer.Multiply ? input.FeatureCount : layer.Embedding),
                LayerKind.BatchNorm => 2L * input.Channels,
                LayerKind.PRelu => layer.PerChannel ? input.Channels : 1,
                LayerKind.InstanceNorm => layer.Affine ? 2L * input.Channels : 0,
                _ => 0,
            };
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
