using GanDsl;
using GanDsl.Backends;

namespace GanDsl.Samples;

/// <summary>The samples of the classic GANs: a generator and a discriminator trained by <see cref="GanStep"/> with the recipe's options.</summary>
internal static class GanSample
{
    /// <summary>The sample <paramref name="name"/>: <paramref name="createGenerator"/> against <paramref name="createDiscriminator"/>, by <paramref name="defaults"/>.</summary>
    public static Sample Create(string name, string description, Func<Backend, ulong, Network> createGenerator, Func<Backend, ulong, Network> createDiscriminator,
        SampleDefaults defaults) =>
        new(name, description, defaults, setup =>
        {
            var options = setup.Options;
            var generator = createGenerator(setup.Backend, setup.Seed);
            var discriminator = createDiscriminator(setup.Backend, setup.Seed + 1);
            var optimizer = setup.Optimizer;
            return new GanStep(generator, discriminator, new GanOptions
            {
                BatchSize = options.BatchSize,
                Loss = options.Loss,
                CriticSteps = options.CriticSteps,
                LabelSmoothing = options.LabelSmoothing,
                GeneratorAverage = options.GeneratorAverage,
                Schedule = options.DecayFrom is { } first ? LearningRateSchedule.LinearDecay(first, options.Epochs) : LearningRateSchedule.Constant,
                GeneratorOptimizer = optimizer,
                DiscriminatorOptimizer = options.DiscriminatorLearningRate is { } rate ? optimizer with { LearningRate = rate } : optimizer,
                SampleCount = defaults.SampleCount,
                SampleColumns = defaults.SampleColumns,
            });
        });
}
