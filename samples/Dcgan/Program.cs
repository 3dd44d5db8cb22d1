using GanDsl;
using Dcgan;
using GanDsl.Samples;

// The tutorial trains 50 epochs of batch 256 with Adam(1e-4) (Keras' betas 0.9 and 0.999); with that recipe one run here
// scored 3.4 after 2 epochs (blobs), 4 to 6.3 over epochs 3 to 10 and 6.1 to 6.8 over 28 to 30 (rough strokes). The default
// recipe keeps the tutorial's networks and takes the DCGAN paper's Adam at batch 64 with the generator's weights averaged
// (SampleDefaults.Dcgan): 6.5 after 1 epoch, 7.1 after 2, 7.8 at 10, and past 8 from epoch 16 on (8.04, 8.04, 8.08,
// 8.10 and 8.11 over 16 to 20, Frechet distance 26 to 22, all ten digits). A learning rate falling to zero (--decay-from),
// batch 32 or a faster discriminator (--d-lr 0.0004) did not lift the score sooner. The tutorial's recipe:
// --epochs 2 --batch-size 256 --lr 0.0001 --beta1 0.9 --ema 0.
return GanSample.Create(
    "Dcgan",
    "trains the TensorFlow tutorial's DCGAN (transposed convolutions, BatchNorm) on MNIST.",
    (backend, seed) => new DcganGenerator(backend, seed),
    (backend, seed) => new DcganDiscriminator(backend, seed),
    SampleDefaults.Dcgan).Run(args);
