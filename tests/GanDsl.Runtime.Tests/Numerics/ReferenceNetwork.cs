namespace GanDsl.Tests.Numerics;

/// <summary>
/// A double-precision evaluator of any network from its <see cref="NetworkLayout"/>, written
/// independently of the generator: the truth the generated float code is checked against.
/// </summary>
internal sealed class ReferenceNetwork(NetworkLayout layout)
{
    public NetworkLayout Layout { get; } = layout;

    /// <summary>Runs <paramref name="rows"/> samples through the network with parameters <paramref name="p"/>.</summary>
    public double[] Forward(ReadOnlySpan<double> p, ReadOnlySpan<double> input, int rows)
    {
        double[] x = input.ToArray();
        int width = Layout.InputFeatures;
        foreach (var layer in Layout.Layers)
        {
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                {
                    var w = Layout.Parameters[layer.WeightIndex];
                    int units = layer.OutputFeatures;
                    var y = new double[rows * units];
                    for (int r = 0; r < rows; r++)
                    {
                        for (int u = 0; u < units; u++)
                        {
                            double sum = layer.BiasIndex >= 0 ? p[(int)Layout.Parameters[layer.BiasIndex].Offset + u] : 0.0;
                            for (int i = 0; i < width; i++)
                            {
                                sum += x[r * width + i] * p[(int)w.Offset + u * width + i];
                            }

                            y[r * units + u] = sum;
                        }
                    }

                    x = y;
                    width = units;
                    break;
                }

                case LayerKind.Activation:
                    for (int i = 0; i < x.Length; i++)
                    {
                        x[i] = Activate(layer.Activation, layer.Slope, x[i]);
                    }

                    break;
            }
        }

        return x;
    }

    public static double Activate(ActivationKind kind, double slope, double z) => kind switch
    {
        ActivationKind.Relu => Math.Max(z, 0.0),
        ActivationKind.LeakyRelu => z > 0 ? z : slope * z,
        ActivationKind.Tanh => Math.Tanh(z),
        ActivationKind.Sigmoid => 1.0 / (1.0 + Math.Exp(-z)),
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
}
