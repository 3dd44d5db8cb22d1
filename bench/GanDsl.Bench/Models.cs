using GanDsl;

namespace GanDsl.Bench;

// The seed GAN, declared as in samples/MnistGan.
[Input(100)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class BenchGenerator;

[Input(784)]
[Dense(100), LeakyRelu(0.2f)]
[Dense(50), LeakyRelu(0.2f)]
[Dense(1)]
public partial class BenchDiscriminator;
