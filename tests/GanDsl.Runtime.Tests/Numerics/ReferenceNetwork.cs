using GanDsl.Randomness;

namespace GanDsl.Tests.Numerics;

/// <summary>
/// A double-precision evaluator of any network from its <see cref="NetworkLayout"/>, written
/// independently of the generator, loop by loop from each layer's definition: the truth the
/// generated float code is checked against. Images are channels-last, as in the runtime.
/// </summary>
internal sealed class ReferenceNetwork(NetworkLayout layout)
{
    public NetworkLayout Layout { get; } = layout;

    /// <summary>Labels for a <see cref="ConditionAttribute"/> network, one per row.</summary>
    public int[]? Labels { get; init; }

    /// <summary>Dropout's seed and counter, as set on the network for the pass being checked.</summary>
    public (ulong Seed, ulong Counter) Dropout { get; init; }

    /// <summary>Runs <paramref name="rows"/> samples through the network (training mode) with parameters <paramref name="p"/>: its output (the first head's, with heads).</summary>
    public double[] Forward(ReadOnlySpan<double> p, ReadOnlySpan<double> input, int rows) => ForwardHeads(p, input, rows)[0];

    /// <summary>As <see cref="Forward"/>, every head's output (the one output of a network without heads).</summary>
    public double[][] ForwardHeads(ReadOnlySpan<double> p, ReadOnlySpan<double> input, int rows)
    {
        double[] x = input.ToArray();
        var shape = Layout.Layers[0].Output;
        int dropoutIndex = 0;
        double[]? trunk = null;
        var trunkShape = shape;
        var outputs = new List<double[]>();
        var saved = new Dictionary<string, (double[] Values, TensorShape Shape)>();
        foreach (var layer in Layout.Layers.Skip(1))
        {
            var output = layer.Output;
            switch (layer.Kind)
            {
                case LayerKind.Head:
                    // Every head starts from the trunk's output; the head before it ends here.
                    if (trunk is null)
                    {
                        trunk = x;
                        trunkShape = shape;
                    }
                    else
                    {
                        outputs.Add(x);
                    }

                    x = (double[])trunk.Clone();
                    shape = trunkShape;
                    break;

                case LayerKind.Dense:
                    x = Dense(p, layer, x, rows, shape.Features, output.Features);
                    break;

                case LayerKind.Conv2D:
                    x = Convolution(p, layer, x, rows, output);
                    break;

                case LayerKind.ConvTranspose2D:
                    x = Transposed(p, layer, x, rows, shape, output);
                    break;

                case LayerKind.BatchNorm:
                    x = BatchNorm(p, layer, x, rows, shape.Channels);
                    break;

                case LayerKind.Dropout:
                    x = DropoutMask(x, layer.Rate, RandomStreams.Dropout + (ulong)dropoutIndex++);
                    break;

                case LayerKind.Condition:
                    x = Condition(p, layer, x, rows, shape);
                    break;

                case LayerKind.Upsample:
                    x = Upsample(x, rows, shape, output);
                    break;

                case LayerKind.Save:
                    saved[layer.Name] = ((double[])x.Clone(), shape);
                    break;

                case LayerKind.Add:
                {
                    var skip = saved[layer.Name].Values;
                    x = [.. x.Select((v, i) => v + skip[i])];
                    break;
                }

                case LayerKind.Concat:
                {
                    // Per pixel: the current tensor's channels, then the saved one's.
                    var (skip, from) = saved[layer.Name];
                    int pixels = shape.Height * shape.Width, a = shape.Channels, b = from.Channels;
                    var y = new double[rows * pixels * (a + b)];
                    for (int r = 0; r < rows; r++)
                    {
                        for (int px = 0; px < pixels; px++)
                        {
                            int o = (r * pixels + px) * (a + b);
                            for (int c = 0; c < a; c++)
                            {
                                y[o + c] = x[(r * pixels + px) * a + c];
                            }

                            for (int c = 0; c < b; c++)
                            {
                                y[o + a + c] = skip[(r * pixels + px) * b + c];
                            }
                        }
                    }

                    x = y;
                    break;
                }

                case LayerKind.InstanceNorm:
                {
                    // Each sample's channel over its pixels, biased variance; then the affine scale and shift, if any.
                    int pixels = shape.Height * shape.Width, c = shape.Channels;
                    int scale = layer.WeightIndex >= 0 ? (int)Layout.Parameters[layer.WeightIndex].Offset : -1;
                    var y = new double[x.Length];
                    for (int r = 0; r < rows; r++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            double mean = 0, variance = 0;
                            for (int px = 0; px < pixels; px++)
                            {
                                mean += x[(r * pixels + px) * c + ch] / pixels;
                            }

                            for (int px = 0; px < pixels; px++)
                            {
                                double d = x[(r * pixels + px) * c + ch] - mean;
                                variance += d * d / pixels;
                            }

                            for (int px = 0; px < pixels; px++)
                            {
                                int i = (r * pixels + px) * c + ch;
                                double normalised = (x[i] - mean) / Math.Sqrt(variance + layer.Epsilon);
                                y[i] = scale < 0 ? normalised : p[scale + ch] * normalised + p[scale + c + ch];
                            }
                        }
                    }

                    x = y;
                    break;
                }

                case LayerKind.PRelu:
                {
                    // One slope, or one per channel (channels-last: the element's index modulo the channels).
                    var info = Layout.Parameters[layer.WeightIndex];
                    int slopes = (int)info.Length;
                    var y = new double[x.Length];
                    for (int i = 0; i < x.Length; i++)
                    {
                        y[i] = x[i] > 0 ? x[i] : p[(int)info.Offset + i % shape.Channels % slopes] * x[i];
                    }

                    x = y;
                    break;
                }

                case LayerKind.Activation:
                    for (int i = 0; i < x.Length; i++)
                    {
                        x[i] = Activate(layer.Activation, layer.Slope, x[i]);
                    }

                    break;
            }

            shape = output;
        }

        outputs.Add(x);
        return outputs.ToArray();
    }

    // Nearest neighbour: output pixel (oh, ow) is input pixel (oh / f, ow / f), channels-last.
    private static double[] Upsample(double[] x, int rows, TensorShape from, TensorShape to)
    {
        int f = to.Height / from.Height, c = from.Channels;
        var y = new double[rows * to.Height * to.Width * c];
        for (int r = 0; r < rows; r++)
        {
            for (int oh = 0; oh < to.Height; oh++)
            {
                for (int ow = 0; ow < to.Width; ow++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        y[((r * to.Height + oh) * to.Width + ow) * c + ch] = x[((r * from.Height + oh / f) * from.Width + ow / f) * c + ch];
                    }
                }
            }
        }

        return y;
    }

    public static double Activate(ActivationKind kind, double slope, double z) => kind switch
    {
        ActivationKind.Relu => Math.Max(z, 0.0),
        ActivationKind.LeakyRelu => z > 0 ? z : slope * z,
        ActivationKind.Tanh => Math.Tanh(z),
        ActivationKind.Sigmoid => 1.0 / (1.0 + Math.Exp(-z)),
        ActivationKind.Elu => z > 0 ? z : slope * (Math.Exp(z) - 1.0),
        ActivationKind.Selu => 1.0507009873554805 * (z > 0 ? z : 1.6732632423543772 * (Math.Exp(z) - 1.0)),
        _ => z,
    };

    /// <summary>sum(weights * Forward(p, input)): a scalar whose gradient is the backward pass with <paramref name="weights"/> as the upstream gradient.</summary>
    public double WeightedOutput(ReadOnlySpan<double> p, ReadOnlySpan<double> input, int rows, ReadOnlySpan<double> weights)
    {
        var y = Forward(p, input, rows);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += y[i] * weights[i];
        }

        return sum;
    }

    /// <summary>sum over heads of sum(weights[h] * head h's output), a null weight leaving the head out: its gradient is the backward pass given those heads.</summary>
    public double WeightedHeads(ReadOnlySpan<double> p, ReadOnlySpan<double> input, int rows, double[]?[] weights)
    {
        var outputs = ForwardHeads(p, input, rows);
        double sum = 0;
        for (int h = 0; h < outputs.Length; h++)
        {
            if (weights[h] is { } w)
            {
                for (int i = 0; i < outputs[h].Length; i++)
                {
                    sum += outputs[h][i] * w[i];
                }
            }
        }

        return sum;
    }

    /// <summary>Central finite difference of <paramref name="f"/> in coordinate <paramref name="index"/> of <paramref name="at"/>.</summary>
    public static double Derivative(Func<double[], double> f, double[] at, int index, double h = 1e-6)
    {
        double saved = at[index];
        at[index] = saved + h;
        double plus = f(at);
        at[index] = saved - h;
        double minus = f(at);
        at[index] = saved;
        return (plus - minus) / (2 * h);
    }

    private double[] Dense(ReadOnlySpan<double> p, LayerInfo layer, double[] x, int rows, int inputs, int units)
    {
        var w = Layout.Parameters[layer.WeightIndex];
        var y = new double[rows * units];
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < units; u++)
            {
                double sum = layer.BiasIndex >= 0 ? p[(int)Layout.Parameters[layer.BiasIndex].Offset + u] : 0.0;
                for (int i = 0; i < inputs; i++)
                {
                    sum += x[r * inputs + i] * p[(int)w.Offset + u * inputs + i];
                }

                y[r * units + u] = sum;
            }
        }

        return y;
    }

    // y[b, oh, ow, f] = bias[f] + sum over c, kh, kw of W[f, c, kh, kw] x[b, oh s - top + kh, ow s - left + kw, c].
    private double[] Convolution(ReadOnlySpan<double> p, LayerInfo layer, double[] x, int rows, TensorShape output)
    {
        var g = layer.Geometry!;
        int w0 = (int)Layout.Parameters[layer.WeightIndex].Offset;
        var y = new double[rows * output.Features];
        for (int b = 0; b < rows; b++)
        {
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    for (int f = 0; f < output.Channels; f++)
                    {
                        double sum = layer.BiasIndex >= 0 ? p[(int)Layout.Parameters[layer.BiasIndex].Offset + f] : 0.0;
                        for (int c = 0; c < g.InChannels; c++)
                        {
                            for (int kh = 0; kh < g.Kernel; kh++)
                            {
                                for (int kw = 0; kw < g.Kernel; kw++)
                                {
                                    int ih = oh * g.Stride - g.PadTop + kh, iw = ow * g.Stride - g.PadLeft + kw;
                                    if (ih >= 0 && ih < g.InHeight && iw >= 0 && iw < g.InWidth)
                                    {
                                        sum += p[w0 + ((f * g.InChannels + c) * g.Kernel + kh) * g.Kernel + kw]
                                            * x[b * g.InFeatures + (ih * g.InWidth + iw) * g.InChannels + c];
                                    }
                                }
                            }
                        }

                        y[b * output.Features + (oh * g.OutWidth + ow) * output.Channels + f] = sum;
                    }
                }
            }
        }

        return y;
    }

    // The adjoint of the convolution in the geometry: each input pixel (oh, ow) of channel ci spreads
    // W[ci, co, kh, kw] x into output pixel (oh s - top + kh, ow s - left + kw) of channel co.
    private double[] Transposed(ReadOnlySpan<double> p, LayerInfo layer, double[] x, int rows, TensorShape input, TensorShape output)
    {
        var g = layer.Geometry!;
        int w0 = (int)Layout.Parameters[layer.WeightIndex].Offset;
        int cout = output.Channels, cin = input.Channels;
        var y = new double[rows * output.Features];
        for (int b = 0; b < rows; b++)
        {
            for (int i = 0; i < output.Height * output.Width; i++)
            {
                for (int co = 0; co < cout; co++)
                {
                    y[b * output.Features + i * cout + co] = layer.BiasIndex >= 0 ? p[(int)Layout.Parameters[layer.BiasIndex].Offset + co] : 0.0;
                }
            }

            for (int oh = 0; oh < input.Height; oh++)
            {
                for (int ow = 0; ow < input.Width; ow++)
                {
                    for (int ci = 0; ci < cin; ci++)
                    {
                        double v = x[b * input.Features + (oh * input.Width + ow) * cin + ci];
                        for (int co = 0; co < cout; co++)
                        {
                            for (int kh = 0; kh < g.Kernel; kh++)
                            {
                                for (int kw = 0; kw < g.Kernel; kw++)
                                {
                                    int ih = oh * g.Stride - g.PadTop + kh, iw = ow * g.Stride - g.PadLeft + kw;
                                    if (ih >= 0 && ih < output.Height && iw >= 0 && iw < output.Width)
                                    {
                                        y[b * output.Features + (ih * output.Width + iw) * cout + co] += v * p[w0 + ((ci * cout + co) * g.Kernel + kh) * g.Kernel + kw];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return y;
    }

    // Training mode: each channel normalised by its batch mean and biased variance over rows and pixels.
    private double[] BatchNorm(ReadOnlySpan<double> p, LayerInfo layer, double[] x, int rows, int channels)
    {
        int gamma = (int)Layout.Parameters[layer.WeightIndex].Offset, beta = (int)Layout.Parameters[layer.BiasIndex].Offset;
        int n = x.Length / channels;
        var y = new double[x.Length];
        for (int c = 0; c < channels; c++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < n; i++)
            {
                mean += x[i * channels + c];
            }

            mean /= n;
            for (int i = 0; i < n; i++)
            {
                variance += (x[i * channels + c] - mean) * (x[i * channels + c] - mean);
            }

            variance /= n;
            for (int i = 0; i < n; i++)
            {
                y[i * channels + c] = p[gamma + c] * (x[i * channels + c] - mean) / Math.Sqrt(variance + layer.Epsilon) + p[beta + c];
            }
        }

        return y;
    }

    // Element i is kept when the Philox uniform of word i % 4 of block (counter << 28) + i / 4 is at least the rate.
    private double[] DropoutMask(double[] x, float rate, ulong stream)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var block = Philox.Block(Dropout.Seed, stream, (Dropout.Counter << 28) + (ulong)(i / 4));
            uint word = (i % 4) switch { 0 => block.X0, 1 => block.X1, 2 => block.X2, _ => block.X3 };
            y[i] = Philox.ToUnit(word) >= rate ? x[i] / (1.0 - rate) : 0.0;
        }

        return y;
    }

    // Each pixel's channels, then the label's embedding (a vector is one pixel).
    private double[] Condition(ReadOnlySpan<double> p, LayerInfo layer, double[] x, int rows, TensorShape input)
    {
        if (layer.Multiply)
        {
            // ConditionMultiply: each feature times the label's embedding value for it.
            int start = (int)Layout.Parameters[layer.WeightIndex].Offset, n = input.Features;
            var product = new double[rows * n];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < n; j++)
                {
                    product[r * n + j] = x[r * n + j] * p[start + Labels![r] * n + j];
                }
            }

            return product;
        }

        int table = (int)Layout.Parameters[layer.WeightIndex].Offset, e = layer.Embedding;
        int pixels = input.Spatial ? input.Height * input.Width : 1;
        int channels = input.Features / pixels;
        var y = new double[rows * pixels * (channels + e)];
        for (int r = 0; r < rows; r++)
        {
            int label = Labels![r];
            for (int px = 0; px < pixels; px++)
            {
                int o = (r * pixels + px) * (channels + e);
                for (int c = 0; c < channels; c++)
                {
                    y[o + c] = x[r * input.Features + px * channels + c];
                }

                for (int k = 0; k < e; k++)
                {
                    y[o + channels + k] = p[table + label * e + k];
                }
            }
        }

        return y;
    }
}
