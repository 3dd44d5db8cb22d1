using GanDsl;
using Dcgan;
using GanDsl.Samples;

// The tutorial trains 50 epochs of batch 256 with Adam(1e-4) (Keras' betas 0.9 and 0.999); on a
// 2-core CPU an epoch takes about 2.5 minutes, so the default here is 2. Two epochs draw blobs, not digits
// (MNIST score 3.4); one run scored 4 to 6.3 over epochs 3 to 10, 5.7 at 15 and 6.1 to 6.8 over 28 to 30
// (Frechet distance 128, all ten digits drawn, as rough strokes). Train longer (--epochs), or with the DCGAN paper's Adam
// at batch 64 (--batch-size 64 --lr 0.0002 --beta1 0.5): 7.2 after 2 epochs, 7.3 to 7.6 over epochs 3 to 6; with the
// generator's weights averaged too (--ema 0.999): 6.5 after 1 epoch, 7.1 after 2, rising to 7.9 at 12 and levelling off
// just under 8 (7.95, 7.997, 7.99 over epochs 13 to 15) while the Frechet distance keeps falling (32 at 12, 27 at 15).
// Neither a learning rate falling to zero over the last epochs (--decay-from), batch 32, nor a faster discriminator
// (--d-lr 0.0004) lifted the score past the averaged run's.
return GanSample.Create(
    "Dcgan",
    "trains the TensorFlow tutorial's DCGAN (transposed convolutions, BatchNorm) on MNIST.",
    (backend, seed) => new DcganGenerator(backend, seed),
    (backend, seed) => new DcganDiscriminator(backend, seed),
    SampleDefaults.TensorFlowDcgan).Run(args);
