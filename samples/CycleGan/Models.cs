using GanDsl;

namespace CycleGan;

// CycleGAN's ResNet generator (Zhu et al. 2017; Johnson et al.'s network) scaled to MNIST's 28x28: c7s1-32, d64, d128
// (7x7), two residual blocks of 3x3 convolutions with InstanceNorm, then two upsampling blocks (nearest x2 and a 3x3
// convolution, as the issue of checkerboards suggests) and c7s1-1 with tanh. The authors' generator for 128x128 has 64
// filters and six blocks; zero padding here where they reflect. Convolutions before InstanceNorm have no bias (the
// normalisation removes it). The authors' N(0, 0.02) initialisation.
[Initialization(WeightInit.Dcgan)]
[Input(1, 28, 28)]
[Conv2D(32, 7, Bias = false)]
[InstanceNorm, Relu]
[Conv2D(64, 3, stride: 2, Bias = false)]
[InstanceNorm, Relu]
[Conv2D(128, 3, stride: 2, Bias = false)]
[InstanceNorm, Relu]
[Save("r1")]
[Conv2D(128, 3, Bias = false)]
[InstanceNorm, Relu]
[Conv2D(128, 3, Bias = false)]
[InstanceNorm]
[Add("r1")]
[Save("r2")]
[Conv2D(128, 3, Bias = false)]
[InstanceNorm, Relu]
[Conv2D(128, 3, Bias = false)]
[InstanceNorm]
[Add("r2")]
[Upsample(2)]
[Conv2D(64, 3, Bias = false)]
[InstanceNorm, Relu]
[Upsample(2)]
[Conv2D(32, 3, Bias = false)]
[InstanceNorm, Relu]
[Conv2D(1, 7), Tanh]
public partial class CycleGanGenerator;

// The PatchGAN discriminator: C64 (no normalisation), C128 with InstanceNorm, LeakyReLU 0.2, then a 4x4 convolution to
// a 7x7 grid of logits, each judging a 22x22 patch (the authors' 70x70 one has two more layers).
[Initialization(WeightInit.Dcgan)]
[Input(1, 28, 28)]
[Conv2D(64, 4, stride: 2), LeakyRelu(0.2f)]
[Conv2D(128, 4, stride: 2, Bias = false)]
[InstanceNorm, LeakyRelu(0.2f)]
[Conv2D(1, 4)]
public partial class CycleGanDiscriminator;
