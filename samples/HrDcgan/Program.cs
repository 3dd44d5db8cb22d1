using GanDsl;
using GanDsl.Samples;
using HrDcgan;

// samples/Dcgan's recipe, with SELU: compare the two samples' metrics after the same number of epochs (README).
return GanSample.Create(
    "HrDcgan",
    "trains HR-DCGAN (DCGAN with BatchNorm + SELU layers) on MNIST: samples/Dcgan's networks and recipe with SELU activations.",
    (backend, seed) => new HrDcganGenerator(backend, seed),
    (backend, seed) => new HrDcganDiscriminator(backend, seed),
    SampleDefaults.TensorFlowDcgan).Run(args);
