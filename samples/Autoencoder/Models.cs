using GanDsl;

namespace Autoencoder;

// Keras' autoencoder tutorial ("Building Autoencoders in Keras"): 784 pixels to a 32-value code and back, ReLU then
// Sigmoid, Glorot-uniform weights and zero biases as Keras starts them.
[Initialization(WeightInit.Keras)]
[Input(784)]
[Dense(32), Relu]
[Dense(784), Sigmoid]
public partial class MnistAutoencoder;
