using GanDsl;

namespace WganGp;

// The WGAN generator; the critic is declared with [GradientPenalty], so the generator emits the
// second-order pass the penalty needs (and would refuse BatchNorm, Tanh or Sigmoid in it).
[Input(100)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(512), BatchNorm, LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class WganGpGenerator;

[GradientPenalty]
[Input(784)]
[Dense(512), LeakyRelu(0.2f)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(1)]
public partial class WganGpCritic;
