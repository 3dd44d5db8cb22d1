using GanDsl;

namespace ConditionalGan;

// The conditional GAN of Mirza and Osindero (2014) as the common PyTorch implementations write it:
// both networks see the digit as a learned embedding concatenated to their input.
[Input(100)]
[Condition(10, 10)]
[Dense(256), LeakyRelu(0.2f)]
[Dense(512), LeakyRelu(0.2f)]
[Dense(784), Tanh]
public partial class ConditionalGenerator;

[Input(784)]
[Condition(10, 10)]
[Dense(512), LeakyRelu(0.2f)]
[Dropout(0.3f)]
[Dense(256), LeakyRelu(0.2f)]
[Dropout(0.3f)]
[Dense(1)]
public partial class ConditionalDiscriminator;
