using GanDsl;
using GanDsl.Samples;
using DiscoGan;

// DiscoGAN's recipe (Kim et al. 2017, the authors' code): Adam 2e-4 with betas 0.5 and 0.999, batch 64; the
// discriminators learn on every third step and the generators on the other two, on 0.1 GAN + 0.9 feature matching and
// the reconstruction's squared error, weighted 0.01 during the curriculum and 0.5 after it. The authors' curriculum is
// 10,000 steps of their image sets; here 300 (with 10,000, all of a 10-epoch run, 18.1% and 15.7% of the translations
// kept their digit, against 86.7% and 86.3%). The data: MNIST's training set shuffled and halved, domain A the first half,
// domain B the second half turned 90 degrees, so that no pair exists.
return new Sample(
    "DiscoGan",
    "trains DiscoGAN (Kim et al. 2017) between MNIST and MNIST turned 90 degrees, unpaired: a translated digit, turned back, should read as its source digit.",
    new SampleDefaults
    {
        Epochs = 20,
        BatchSize = 64,
        GanOptions = false,
        Generates = false,
        Settings =
        [
            new SampleSetting("curriculum", "steps with the reconstruction weighted 0.01 (then 0.5)", 300, 0, 1e12, Whole: true),
        ],
    },
    setup => new DiscoGanStep(new DiscoGanGenerator(setup.Backend, setup.Seed), new DiscoGanGenerator(setup.Backend, setup.Seed + 1),
        new DiscoGanFeatures(setup.Backend, setup.Seed + 2), new DiscoGanJudge(setup.Backend, setup.Seed + 3),
        new DiscoGanFeatures(setup.Backend, setup.Seed + 4), new DiscoGanJudge(setup.Backend, setup.Seed + 5), setup.Optimizer,
        setup.Options.BatchSize, (long)setup.Options.Setting("curriculum"), Turns.Paired(setup.Data.Test)))
{
    TrainingData = (data, _) => Turns.Of(data.Train),

    // The test digits translated both ways, each read by the reference classifier against its source digit.
    Evaluation = (step, data, evaluator, count) =>
    {
        var translation = Turns.Measure((DiscoGanStep)step, data.Test, evaluator, count);
        Console.WriteLine(translation);
        return translation.Report;
    },
}.Run(args);
