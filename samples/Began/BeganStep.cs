using GanDsl;
using GanDsl.Backends;

namespace Began;

/// <summary>
/// BEGAN's step (Berthelot et al. 2017), written against GanDsl's step API: the discriminator D is an autoencoder
/// and L(v) = mean |v - D(v)| its reconstruction error. D minimises L(x) - k L(G(z)), G minimises L(G(z)), and the
/// equilibrium term k, kept on the device, follows k = clamp(k + lambda_k (gamma L(x) - L(G(z))), 0, 1). The
/// convergence measure M = L(x) + |gamma L(x) - L(G(z))| is logged.
/// </summary>
public sealed class BeganStep : GeneratorStep
{
    private readonly Network _d;
    private readonly Optimizer _optimizerG, _optimizerD;
    private readonly DeviceScalar _k, _real, _fake;
    private readonly Statistic _gLoss;
    private readonly ScalarProgram _afterStep;

    /// <summary>BEGAN with <paramref name="gamma"/> (the diversity ratio) and <paramref name="lambdaK"/> (k's learning rate).</summary>
    public BeganStep(Network generator, Network discriminator, OptimizerSettings optimizer, int batchSize, float gamma = 0.5f, float lambdaK = 0.001f)
        : base(generator, batchSize)
    {
        _d = AddNetwork("discriminator", discriminator, rows: 2 * batchSize);
        _optimizerG = AddOptimizer("generator.optimizer", optimizer, generator);
        _optimizerD = AddOptimizer("discriminator.optimizer", optimizer, discriminator);
        (_k, _real, _fake) = (AddScalar("k", 0f), AddScalar("L_real", checkpointed: false), AddScalar("L_fake", checkpointed: false));
        _gLoss = AddStatistic("G loss");
        _afterStep = new ScalarProgram(
            AddStatistic("M").Add(_real + ScalarExpr.Abs(gamma * _real - _fake)),
            AddStatistic("D loss").Add(_real - _k * _fake),
            _k.Assign(ScalarExpr.Clamp(_k + lambdaK * (gamma * _real - _fake), 0f, 1f)),
            AddStatistic("k", StatisticKind.Probability).Add(_k));
    }

    /// <inheritdoc />
    public override void Run(StepContext s)
    {
        int b = BatchSize;
        var g = Generator;
        var (fake, real) = (_d.Input(2 * b).Slice(0, b), _d.Input(2 * b).Slice(b, b));
        var (reconstruction, gradient) = (_d.Output(2 * b), _d.OutputGradient(2 * b));

        // D on [G(z); x]: minimise L(x) - k L(G(z)).
        s.Normal(g.Input(b));
        g.Forward(b);
        Backend.Copy(g.Output(b), fake);
        s.Images(real);
        _d.Forward(2 * b);
        s.Loss(LossTerm.L1, reconstruction.Slice(b, b), gradient.Slice(b, b), target: real, value: _real);
        s.Loss(LossTerm.L1.Times(-1f), reconstruction.Slice(0, b), gradient.Slice(0, b), target: fake, value: _fake, scale: _k);
        _d.Backward(2 * b);
        s.Update(_optimizerD);

        // G: minimise L(G(z)) through the updated D; G(z) is both D's input and the reconstruction's target.
        _d.Forward(b);
        s.Loss(LossTerm.L1, _d.Output(b), _d.OutputGradient(b), target: fake, statistic: _gLoss, targetGradient: g.OutputGradient(b));
        _d.Backward(b, weightGradients: false, inputGradient: true);
        Backend.Add(_d.InputGradient(b), g.OutputGradient(b));
        g.Backward(b);
        s.Update(_optimizerG);

        // M and D loss from this step's losses, then k's update.
        s.Evaluate(_afterStep);
    }
}
