using GanDsl;
using GanDsl.Backends;
using GanDsl.Training;

namespace Began;

/// <summary>
/// BEGAN's step (Berthelot et al. 2017), written against GanDsl's step API: the discriminator D is an autoencoder
/// and L(v) = mean |v - D(v)| its reconstruction error. D minimises L(x) - k L(G(z)), G minimises L(G(z)), and the
/// equilibrium term k, kept on the device, follows k = clamp(k + lambda_k (gamma L(x) - L(G(z))), 0, 1). The
/// convergence measure M = L(x) + |gamma L(x) - L(G(z))| is logged.
/// </summary>
public sealed class BeganStep : TrainingStep, IImageGenerator
{
    private readonly Network _g, _d;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly DeviceScalar _k, _real, _fake;
    private readonly Statistic _gLoss;
    private readonly ScalarProgram _afterStep;
    private readonly ImageSampler _sampler;

    /// <summary>BEGAN with <paramref name="gamma"/> (diversity ratio) and <paramref name="lambdaK"/> (k's learning rate).</summary>
    public BeganStep(Network generator, Network discriminator, OptimizerSettings optimizer, int batchSize, float gamma = 0.5f, float lambdaK = 0.001f)
        : base(generator.Backend, batchSize)
    {
        _g = AddNetwork("generator", generator);
        _d = AddNetwork("discriminator", discriminator);
        _optimizerG = AddOptimizer("generator.optimizer", optimizer, generator);
        _optimizerD = AddOptimizer("discriminator.optimizer", optimizer, discriminator);
        _k = AddScalar("k", 0f);
        _real = AddScalar("L_real", checkpointed: false);
        _fake = AddScalar("L_fake", checkpointed: false);
        var m = AddStatistic("M");
        var k = AddStatistic("k", StatisticKind.Probability);
        var dLoss = AddStatistic("D loss");
        _gLoss = AddStatistic("G loss");
        _afterStep = new ScalarProgram(
            m.Add(_real + ScalarExpr.Abs(gamma * _real - _fake)),
            dLoss.Add(_real - _k * _fake),
            _k.Assign(ScalarExpr.Clamp(_k + lambdaK * (gamma * _real - _fake), 0f, 1f)),
            k.Add(_k));
        generator.EnsureCapacity(batchSize);
        discriminator.EnsureCapacity(2 * batchSize);
        _sampler = new ImageSampler(generator, this);
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var input = _d.Input(2 * b);
        var (fake, real) = (input.Slice(0, b), input.Slice(b, b));
        var (reconstruction, gradient) = (_d.Output(2 * b), _d.OutputGradient(2 * b));

        // D on [G(z); x]: minimise L(x) - k L(G(z)).
        s.Normal(_g.Input(b));
        _g.Forward(b);
        Backend.Copy(_g.Output(b), fake);
        s.Images(real);
        _d.Forward(2 * b);
        s.Loss(LossTerm.L1, reconstruction.Slice(b, b), gradient.Slice(b, b), target: real, value: _real);
        s.Loss(LossTerm.L1.Times(-1f), reconstruction.Slice(0, b), gradient.Slice(0, b), target: fake, value: _fake, scale: _k);
        _d.Backward(2 * b);
        s.Update(_optimizerD);

        // G: minimise L(G(z)) through the updated D; G(z) is both D's input and the reconstruction's target.
        _d.Forward(b);
        s.Loss(LossTerm.L1, _d.Output(b), _d.OutputGradient(b), target: fake, statistic: _gLoss, targetGradient: _g.OutputGradient(b));
        _d.Backward(b, weightGradients: false, inputGradient: true);
        Backend.Add(_d.InputGradient(b), _g.OutputGradient(b));
        _g.Backward(b);
        s.Update(_optimizerG);

        // M and D loss from this step's losses, then k's update.
        s.Evaluate(_afterStep);
    }

    /// <inheritdoc />
    public override SampleGrid Samples() => _sampler.Grid();

    /// <inheritdoc />
    public float[] Generate(int count, Span<int> labels = default) => _sampler.Generate(count);

    /// <inheritdoc />
    public int ClassCount => 0;
}
