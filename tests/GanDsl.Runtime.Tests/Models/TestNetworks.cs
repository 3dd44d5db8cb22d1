namespace GanDsl.Tests.Models;

// The seed GAN's two networks (samples/MnistGan declares the same ones).
[Input(100)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class SeedGenerator;

[Input(784)]
[Dense(100), LeakyRelu(0.2f)]
[Dense(50), LeakyRelu(0.2f)]
[Dense(1)]
public partial class SeedDiscriminator;

// Small networks for gradient checks: every activation, odd widths (vector bodies and scalar tails),
// a Dense without bias, and widths that leave a partial 16-column block in the backward kernels.
[Input(7)]
[Dense(19), Relu]
[Dense(5)]
public partial class ReluNet;

[Input(6)]
[Dense(21), LeakyRelu(0.1f)]
[Dense(3), Tanh]
public partial class LeakyTanhNet;

[Input(9)]
[Dense(33), Sigmoid]
[Dense(4, Bias = false), Tanh]
[Dense(2, Bias = false)]
public partial class SigmoidNoBiasNet;

[Input(40)]
[Dense(24), Tanh]
[Dense(17), LeakyRelu(0.2f)]
[Dense(1)]
public partial class DeepNet;

// A generator with the seed generator's input and output but other layers: another model.
[Input(100)]
[Dense(64), Relu]
[Dense(784), Tanh]
public partial class ReluOut;
