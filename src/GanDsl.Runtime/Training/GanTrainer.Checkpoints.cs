using System.Globalization;
using GanDsl.Backends;
using GanDsl.Checkpoints;
using GanDsl.Randomness;

namespace GanDsl.Training;

public sealed partial class GanTrainer
{
    /// <summary>The format tag in every GAN checkpoint's metadata.</summary>
    public const string CheckpointFormat = "gandsl-gan-checkpoint/1";

    /// <summary>
    /// Writes everything a run needs to continue into a safetensors file at <paramref name="path"/>,
    /// atomically (a crash mid-write leaves any previous file intact): both networks' parameters, one
    /// tensor each under PyTorch-friendly names (<c>generator.W0</c>, ...), both optimizers' moments,
    /// and in the metadata the step, epoch, position in the epoch, seed (which with those counters is
    /// the whole random-number state), options and the epoch's running loss sums.
    /// </summary>
    public string SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = new List<SafetensorsTensor>();
        NetworkTensors.Add(tensors, "generator", _generator);
        NetworkTensors.Add(tensors, "discriminator", _discriminator);
        AddOptimizer(tensors, "generator.optimizer", _generatorOptimizer);
        AddOptimizer(tensors, "discriminator.optimizer", _discriminatorOptimizer);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = CheckpointFormat,
            ["generator"] = _generator.Layout.Name,
            ["discriminator"] = _discriminator.Layout.Name,
            ["step"] = Text(StepCount),
            ["epoch"] = Text(EpochCount),
            ["epoch_position"] = Text(EpochPosition),
            ["seed"] = Text(_options.Seed),
            ["batch_size"] = Text(_options.BatchSize),
            ["loss"] = _options.Loss.ToString(),
            ["critic_steps"] = Text(_options.CriticSteps),
            ["generator.optimizer"] = _generatorOptimizer.Settings.Kind,
            ["discriminator.optimizer"] = _discriminatorOptimizer.Settings.Kind,
            ["generator.optimizer.step"] = Text(_generatorOptimizer.StepCount),
            ["discriminator.optimizer.step"] = Text(_discriminatorOptimizer.StepCount),
            ["generator.optimizer.settings"] = _generatorOptimizer.Settings.ToString(),
            ["discriminator.optimizer.settings"] = _discriminatorOptimizer.Settings.ToString(),
            ["epoch_sums"] = string.Join(",", _epochSums.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            ["epoch_steps"] = Text(_epochSteps),
            ["written"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        SafetensorsFile.Write(path, tensors, metadata);
        LastCheckpoint = Path.GetFullPath(path);
        return LastCheckpoint;
    }

    /// <summary>
    /// Restores a run from a checkpoint written by <see cref="SaveCheckpoint"/>. The file is read and
    /// checked completely before anything changes, so a refused file leaves the trainer as it was.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="requireSameOptions">
    /// True (resuming): the batch size must match when resuming mid-epoch, and the seed is taken from
    /// the file. False (evaluating): only the networks must match.
    /// </param>
    /// <exception cref="CheckpointFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="CheckpointMismatchException">It is valid but holds another model or run.</exception>
    public void LoadCheckpoint(string path, bool requireSameOptions = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafetensorsFile.Read(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v)
            ? v
            : throw new CheckpointMismatchException(path, $"its metadata has no '{key}'; it is not a GanDsl GAN checkpoint");

        if (!file.Metadata.TryGetValue("format", out var format) || format != CheckpointFormat)
        {
            throw new CheckpointMismatchException(path, $"it is not a GanDsl GAN checkpoint (format '{format ?? "none"}', expected '{CheckpointFormat}')");
        }

        RequireNetwork(path, "generator", _generator, Meta("generator"));
        RequireNetwork(path, "discriminator", _discriminator, Meta("discriminator"));
        var generatorParameters = NetworkTensors.Read(file, "generator", _generator);
        var discriminatorParameters = NetworkTensors.Read(file, "discriminator", _discriminator);
        var generatorState = NetworkTensors.ReadState(file, "generator", _generator);
        var discriminatorState = NetworkTensors.ReadState(file, "discriminator", _discriminator);
        var generatorMoments = ReadOptimizer(file, path, "generator.optimizer", _generatorOptimizer, Meta("generator.optimizer"));
        var discriminatorMoments = ReadOptimizer(file, path, "discriminator.optimizer", _discriminatorOptimizer, Meta("discriminator.optimizer"));
        long step = Number(path, "step", Meta("step"));
        int epoch = (int)Number(path, "epoch", Meta("epoch"));
        int position = (int)Number(path, "epoch_position", Meta("epoch_position"));
        ulong seed = (ulong)Number(path, "seed", Meta("seed"));
        int batch = (int)Number(path, "batch_size", Meta("batch_size"));
        long generatorOptimizerStep = Number(path, "generator.optimizer.step", Meta("generator.optimizer.step"));
        long discriminatorOptimizerStep = Number(path, "discriminator.optimizer.step", Meta("discriminator.optimizer.step"));
        long epochSteps = Number(path, "epoch_steps", Meta("epoch_steps"));
        var sums = Meta("epoch_sums").Split(',');
        if (sums.Length != StatSlots || !sums.All(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
        {
            throw new CheckpointMismatchException(path, $"its epoch_sums metadata '{Meta("epoch_sums")}' is not {StatSlots} numbers");
        }

        if (requireSameOptions && position > 0 && batch != _options.BatchSize)
        {
            throw new CheckpointMismatchException(path,
                $"it stopped in the middle of an epoch with batch size {batch}, and this run asks for {_options.BatchSize}; resume with the same batch size");
        }

        // Everything checked: now change state.
        _generator.SetParameters(generatorParameters);
        _discriminator.SetParameters(discriminatorParameters);
        _generator.SetState(generatorState);
        _discriminator.SetState(discriminatorState);
        RestoreOptimizer(_generatorOptimizer, generatorMoments, generatorOptimizerStep);
        RestoreOptimizer(_discriminatorOptimizer, discriminatorMoments, discriminatorOptimizerStep);
        StepCount = step;
        EpochCount = epoch;
        EpochPosition = position;
        for (int i = 0; i < StatSlots; i++)
        {
            _epochSums[i] = double.Parse(sums[i], CultureInfo.InvariantCulture);
        }

        _epochSteps = epochSteps;
        ResetWindow();
        if (requireSameOptions && seed != _options.Seed)
        {
            // The seed and the counters are the random state: continuing the run means continuing its seed.
            _options = _options with { Seed = seed };
            _backend.RandomNormal(_fixedNoise.All, seed, RandomStreams.FixedNoise, 0);
            _options.Log?.WriteLine($"note: continuing with the checkpoint's seed {seed}");
        }

        LastCheckpoint = Path.GetFullPath(path);
    }

    /// <summary>Writes a checkpoint into <see cref="GanOptions.CheckpointDirectory"/> and deletes the oldest beyond <see cref="GanOptions.KeepCheckpoints"/>.</summary>
    private string WriteCheckpoint()
    {
        string directory = _options.CheckpointDirectory!;
        Directory.CreateDirectory(directory);
        string path = SaveCheckpoint(Path.Combine(directory, CheckpointFiles.Name(EpochCount, StepCount)));
        var all = CheckpointFiles.List(directory);
        foreach (var old in all.Take(Math.Max(0, all.Count - _options.KeepCheckpoints)))
        {
            if (!string.Equals(Path.GetFullPath(old), path, StringComparison.Ordinal))
            {
                File.Delete(old);
            }
        }

        return path;
    }

    private static void RequireNetwork(string path, string role, Network network, string storedName)
    {
        if (storedName != network.Layout.Name)
        {
            throw new CheckpointMismatchException(path, $"its {role} is {storedName}, but this run's {role} is {network.Layout.Name}");
        }
    }

    private static void AddOptimizer(List<SafetensorsTensor> tensors, string prefix, Optimizer optimizer)
    {
        var backend = optimizer.Network.Backend;
        foreach (var (name, tensor) in optimizer.State)
        {
            var values = new float[tensor.Length];
            backend.Download(tensor, values);
            tensors.Add(new SafetensorsTensor($"{prefix}.{name}", [values.Length], values));
        }
    }

    private static List<float[]> ReadOptimizer(SafetensorsFile file, string path, string prefix, Optimizer optimizer, string kind)
    {
        if (kind != optimizer.Settings.Kind)
        {
            throw new CheckpointMismatchException(path, $"its {prefix} is {kind}, but this run's is {optimizer.Settings.Kind}");
        }

        var state = new List<float[]>();
        foreach (var (name, _) in optimizer.State)
        {
            if (!file.TryGet($"{prefix}.{name}", out var tensor))
            {
                throw new CheckpointMismatchException(path, $"it has no tensor {prefix}.{name}");
            }

            var data = tensor.AsFloat32();
            state.Add(data.LongLength == optimizer.Network.ParameterCount
                ? data
                : throw new CheckpointMismatchException(path, $"tensor {prefix}.{name} has {data.Length} values, but {optimizer.Network.Layout.Name} has {optimizer.Network.ParameterCount} parameters"));
        }

        return state;
    }

    private static void RestoreOptimizer(Optimizer optimizer, List<float[]> state, long step)
    {
        var backend = optimizer.Network.Backend;
        for (int i = 0; i < state.Count; i++)
        {
            backend.Upload(state[i], optimizer.State[i].Tensor);
        }

        optimizer.StepCount = step;
    }

    private static long Number(string path, string key, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value >= 0
            ? value
            : throw new CheckpointMismatchException(path, $"its metadata '{key}' is '{text}', not a whole number of 0 or more");

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
