using GanDsl;

namespace Wgan;

// MLP generator and critic in the manner of the WGAN paper's MLP experiments; the critic ends in
// an unbounded score (no sigmoid) and its weights are clipped to [-0.01, 0.01] after every update.
[Input(100)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(512), BatchNorm, LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class WganGenerator;

[Input(784)]
[Dense(512), LeakyRelu(0.2f)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(1)]
public partial class WganCritic;
