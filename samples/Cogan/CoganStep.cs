using GanDsl;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Randomness;

namespace Cogan;

/// <summary>
/// CoGAN's step (Liu and Tuzel 2016): two GANs, one per domain, trained side by side on unpaired images. The two
/// generators take the same noise and share their first layers; the discriminators share their last. Each step, both
/// discriminators learn on [G(z); real] of their domain (binary cross-entropy), then both generators learn through the
/// updated discriminators to be called real. Nothing pairs the domains' images: that one z draws the same digit in
/// both comes from the shared layers alone. The sample grid shows the pairs, domain A's row above domain B's.
/// </summary>
public sealed class CoganStep : GeneratorStep
{
    private const int GridPairs = 32, GridColumns = 8;
    private readonly Network _gB, _dA, _dB;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly Statistic _dLoss, _gLoss, _realA, _fakeA, _realB, _fakeB;

    /// <summary>
    /// CoGAN of <paramref name="generatorA"/> and <paramref name="generatorB"/> (sharing layers, the same noise) against
    /// <paramref name="discriminatorA"/> and <paramref name="discriminatorB"/> (one logit each) on domains 0 and 1.
    /// </summary>
    public CoganStep(Network generatorA, Network generatorB, Network discriminatorA, Network discriminatorB, OptimizerSettings optimizer, int batchSize)
        : base(generatorA, batchSize, sampleCount: GridPairs, sampleColumns: GridColumns)
    {
        ArgumentNullException.ThrowIfNull(generatorB);
        ArgumentNullException.ThrowIfNull(discriminatorA);
        ArgumentNullException.ThrowIfNull(discriminatorB);
        if (generatorB.InputFeatures != generatorA.InputFeatures || discriminatorA.InputFeatures != generatorA.OutputFeatures
            || discriminatorB.InputFeatures != generatorB.OutputFeatures || discriminatorA.OutputFeatures != 1 || discriminatorB.OutputFeatures != 1)
        {
            throw new ArgumentException(
                "CoGAN needs two generators of the same noise and two one-logit discriminators, each reading its generator's images; " +
                $"{generatorA.Layout.Name} and {generatorB.Layout.Name} read {generatorA.InputFeatures} and {generatorB.InputFeatures} and make {generatorA.OutputFeatures} and {generatorB.OutputFeatures}, " +
                $"{discriminatorA.Layout.Name} and {discriminatorB.Layout.Name} read {discriminatorA.InputFeatures} and {discriminatorB.InputFeatures} and give {discriminatorA.OutputFeatures} and {discriminatorB.OutputFeatures}.");
        }

        _gB = AddNetwork("generator_b", generatorB);
        _dA = AddNetwork("discriminator_a", discriminatorA, rows: 2 * batchSize);
        _dB = AddNetwork("discriminator_b", discriminatorB, rows: 2 * batchSize);
        _optimizerG = AddOptimizer("generators.optimizer", optimizer, generatorA, generatorB);
        _optimizerD = AddOptimizer("discriminators.optimizer", optimizer, discriminatorA, discriminatorB);
        _dLoss = AddStatistic("D loss");
        _gLoss = AddStatistic("G loss");
        _realA = AddStatistic("D_A(x)", StatisticKind.Probability);
        _fakeA = AddStatistic("D_A(G(z))", StatisticKind.Probability);
        _realB = AddStatistic("D_B(x)", StatisticKind.Probability);
        _fakeB = AddStatistic("D_B(G(z))", StatisticKind.Probability);
    }

    /// <summary>Domain B's generator.</summary>
    public Network GeneratorB => _gB;

    /// <summary>Refuses data of other than two domains of the generators' images.</summary>
    public override void CheckData(TrainingData data)
    {
        base.CheckData(data);
        if (data.Domains.Count != 2 || data.Domains[1].PixelsPerImage != _gB.OutputFeatures)
        {
            throw new ArgumentException($"CoGAN trains on two domains of {_gB.OutputFeatures}-pixel images; the data has {data.Domains.Count} domain(s).", nameof(data));
        }
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var (gA, gB, dA, dB) = (Generator, _gB, _dA, _dB);
        var (inputA, inputB) = (dA.Input(2 * b), dB.Input(2 * b));

        // One z for both generators; each writes its fakes straight into its discriminator's first B rows, the domain's real images after them.
        s.Normal(gA.Input(b));
        Backend.Copy(gA.Input(b), gB.Input(b));
        s.Images(inputA.Slice(b, b), domain: 0);
        s.Images(inputB.Slice(b, b), domain: 1);
        gA.RedirectOutput(inputA.Slice(0, b));
        gB.RedirectOutput(inputB.Slice(0, b));
        try
        {
            gA.Forward(b);
            gB.Forward(b);

            // Both discriminators on [fake; real].
            dA.DropoutCounter = s.Steps.Times(4);
            dB.DropoutCounter = s.Steps.Times(4, 1);
            Discriminate(s, dA, 2 * b, _fakeA, _realA);
            Discriminate(s, dB, 2 * b, _fakeB, _realB);
            dA.Backward(2 * b);
            dB.Backward(2 * b);
            s.Update(_optimizerD);

            // Both generators through the updated discriminators, as real.
            dA.DropoutCounter = s.Steps.Times(4, 2);
            dB.DropoutCounter = s.Steps.Times(4, 3);
            LearnThrough(s, gA, dA);
            LearnThrough(s, gB, dB);
            s.Update(_optimizerG);
        }
        finally
        {
            gA.RedirectOutput(default);
            gB.RedirectOutput(default);
        }
    }

    // A generator's gradients from its discriminator's verdict on its fakes (D's first B rows), called real.
    private void LearnThrough(StepContext s, Network g, Network d)
    {
        int b = BatchSize;
        d.Forward(b);
        s.Loss(LossTerm.BinaryCrossEntropy, d.Output(b), d.OutputGradient(b), 1f, _gLoss);
        d.Backward(b, weightGradients: false, inputGradient: true);
        g.Backward(b, outputGradient: d.InputGradient(b));
    }

    private void Discriminate(StepContext s, Network d, int rows, Statistic fake, Statistic real)
    {
        int b = rows / 2;
        d.Forward(rows);
        Backend.Loss(LossKind.BinaryCrossEntropy, new LossOperands(d.Output(rows), d.OutputGradient(rows)),
            s.Segment(LossTerm.BinaryCrossEntropy, b, 1, 0f, _dLoss, fake),
            s.Segment(LossTerm.BinaryCrossEntropy, b, 1, 1f, _dLoss, real));
    }

    /// <summary>Pairs for the fixed noise: rows of domain A's images, each above the row of domain B's for the same noise.</summary>
    public override SampleGrid Samples()
    {
        var (a, b) = Pairs(Noise(GridPairs, RandomStreams.FixedNoise), GridPairs);
        int pixels = Generator.OutputFeatures, rows = GridPairs / GridColumns;
        var grid = new float[2 * GridPairs * pixels];
        for (int r = 0; r < rows; r++)
        {
            int length = GridColumns * pixels;
            a.AsSpan(r * length, length).CopyTo(grid.AsSpan(2 * r * length, length));
            b.AsSpan(r * length, length).CopyTo(grid.AsSpan((2 * r + 1) * length, length));
        }

        var shape = Generator.Layout.OutputShape;
        return new SampleGrid(grid, 2 * GridPairs, shape.Height, shape.Width, GridColumns);
    }

    /// <summary>N(0, 1) noise for <paramref name="count"/> pairs from Philox stream <paramref name="stream"/> of the step's seed: (count, noise) floats.</summary>
    public float[] Noise(int count, ulong stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var noise = new float[(long)count * Generator.InputFeatures];
        using var buffer = Backend.Allocate(noise.Length);
        var tensor = buffer.View(0, count, Generator.InputFeatures);
        Backend.RandomNormal(tensor, Seed, stream, 0);
        Backend.Download(tensor, noise);
        return noise;
    }

    /// <summary>Both generators' images, in evaluation mode, for the (count, noise) floats <paramref name="noise"/>: two (count, pixels) arrays in [-1, 1].</summary>
    public (float[] A, float[] B) Pairs(float[] noise, int count) => (Generator.Predict(noise, count), _gB.Predict(noise, count));
}
