namespace GanDsl.Evaluation;

/// <summary>
/// The reference MNIST classifier behind GanDsl's metrics (the TF-GAN approach: a small MNIST
/// classifier in place of InceptionV3), declared with GanDsl itself. Its 256 penultimate ReLU
/// features feed the Fréchet distance; its softmax feeds the MNIST score and the class shares.
/// </summary>
[Input(784)]
[Dense(512), Relu]
[Dense(256), Relu]
[Dense(10)]
public partial class MnistClassifier
{
    /// <summary>The activation slot holding the 256 penultimate features.</summary>
    public const int FeatureSlot = 2;

    /// <summary>Number of penultimate features.</summary>
    public const int FeatureCount = 256;
}
