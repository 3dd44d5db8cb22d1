using System.Globalization;
using GanDsl.Backends;
using GanDsl.Checkpoints;

namespace GanDsl;

public partial class Trainer
{
    /// <summary>The format tag in every checkpoint's metadata.</summary>
    public const string CheckpointFormat = "gandsl-checkpoint/2";

    /// <summary>The format GanDsl wrote before steps were general (one generator and one discriminator); refused, with a message saying so.</summary>
    public const string GanCheckpointFormatV1 = "gandsl-gan-checkpoint/1";

    /// <summary>
    /// Writes everything the run needs to continue into a safetensors file at <paramref name="path"/>, atomically (a
    /// crash mid-write leaves any previous file intact): each network's parameters, one tensor each under
    /// PyTorch-friendly names (<c>generator.W0</c> with <c>nn.Linear</c>'s shape, ...) and its state, each optimizer's
    /// moments (<c>{optimizer}.m</c>, or <c>{optimizer}.{network}.m</c> for a group), and in the metadata the step's
    /// kind and settings, its parts, its device scalars and counters, the step, epoch, position in the epoch and seed (which with
    /// the counters is the whole random-number state), and the epoch's running statistic sums.
    /// </summary>
    public string SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        // The epoch's statistics so far, the window not yet folded into them included, so a run resumed from here
        // prints the epoch line the run that never stopped prints.
        PeekWindow();
        var sums = new double[_epochSums.Length];
        var counts = new long[_epochCounts.Length];
        for (int i = 0; i < sums.Length; i++)
        {
            sums[i] = _epochSums[i] + _windowHost[i];
            counts[i] = _epochCounts[i] + _windowCounts[i];
        }

        var tensors = new List<SafetensorsTensor>();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = CheckpointFormat,
            ["kind"] = _step.Kind,
            ["networks"] = string.Join(";", _step.Networks.Select(n => $"{n.Name}={n.Network.Layout.Name}")),
            ["optimizers"] = string.Join(";", _step.Optimizers.Select(o => $"{o.Name}={o.Optimizer.Settings.Kind}:{string.Join(",", o.Optimizer.Networks.Select(PartName))}")),
            ["scalars"] = string.Join(";", CheckpointedScalars().Select(s => s.Name)),
            ["counters"] = string.Join(";", _step.Counters.Select(c => c.Name)),
            ["statistics"] = string.Join("\n", _step.Statistics.Select(s => s.Name)),
            ["statistics.epoch_sums"] = string.Join(",", sums.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            ["statistics.epoch_counts"] = string.Join(",", counts.Select(Text)),
            ["step"] = Text(StepCount),
            ["epoch"] = Text(EpochCount),
            ["epoch_position"] = Text(EpochPosition),
            ["epoch_steps"] = Text(_epochSteps + _windowSteps),
            ["seed"] = Text(_options.Seed),
            ["batch_size"] = Text(_step.BatchSize),
            ["written"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (name, network) in _step.Networks)
        {
            NetworkTensors.Add(tensors, name, network);
        }

        foreach (var (name, optimizer) in _step.Optimizers)
        {
            for (int i = 0; i < optimizer.Networks.Count; i++)
            {
                foreach (var (state, tensor) in optimizer.StateOf(i))
                {
                    var values = new float[tensor.Length];
                    _backend.Download(tensor, values);
                    tensors.Add(new SafetensorsTensor($"{StatePrefix(name, optimizer, i)}.{state}", [values.Length], values));
                }
            }

            metadata[$"optimizer.{name}.step"] = Text(optimizer.StepCount);
            metadata[$"optimizer.{name}.settings"] = optimizer.Settings.ToString();
            metadata[$"optimizer.{name}.schedule"] = optimizer.Schedule.ToString()!;
        }

        foreach (var scalar in CheckpointedScalars())
        {
            metadata[$"scalar.{scalar.Name}"] = scalar.Read().ToString("R", CultureInfo.InvariantCulture);
        }

        foreach (var (name, counter) in _step.Counters)
        {
            metadata[$"counter.{name}"] = Text(counter.Value);
        }

        foreach (var (key, value) in _step.Describe())
        {
            metadata[$"step.{key}"] = value;
        }

        // A checkpoint is a promise that the run can go on from it: never write one of a run that has diverged.
        foreach (var tensor in tensors)
        {
            var values = tensor.AsFloat32();
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw Diverged($"tensor {tensor.Name} holds {values[bad].ToString(CultureInfo.InvariantCulture)} at index {bad}, so no checkpoint was written to {path}");
            }
        }

        if (CheckpointedScalars().FirstOrDefault(s => !float.IsFinite(s.Read())) is { } badScalar)
        {
            throw Diverged($"the scalar {badScalar.Name} is {badScalar.Read().ToString(CultureInfo.InvariantCulture)}, so no checkpoint was written to {path}");
        }

        SafetensorsFile.Write(path, tensors, metadata);
        LastCheckpoint = Path.GetFullPath(path);
        return LastCheckpoint;
    }

    /// <summary>
    /// Restores a run from a checkpoint written by <see cref="SaveCheckpoint"/>. The file is read and checked
    /// completely before anything changes, so a refused file leaves the trainer as it was.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="requireSameOptions">
    /// True (resuming): the batch size must match when resuming mid-epoch, and the seed is taken from the file. False
    /// (evaluating): only the step and its parts must match.
    /// </param>
    /// <exception cref="CheckpointFormatException">The file is not a valid safetensors file.</exception>
    /// <exception cref="CheckpointMismatchException">It is valid but holds another step, model or run, or predates this format.</exception>
    public void LoadCheckpoint(string path, bool requireSameOptions = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafetensorsFile.Read(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v)
            ? v
            : throw new CheckpointMismatchException(path, $"its metadata has no '{key}'; it is not a GanDsl checkpoint");

        file.Metadata.TryGetValue("format", out var format);
        if (format == GanCheckpointFormatV1)
        {
            throw new CheckpointMismatchException(path,
                $"it was written by GanDsl before training steps became general (format {GanCheckpointFormatV1}) and cannot be resumed by this version, " +
                $"which reads {CheckpointFormat}; its network tensors (generator.W0, ...) still load with NetworkTensors.Read, or train afresh");
        }

        if (format != CheckpointFormat)
        {
            throw new CheckpointMismatchException(path, $"it is not a GanDsl checkpoint (format '{format ?? "none"}', expected '{CheckpointFormat}')");
        }

        // The step and its parts, by name: each difference is named.
        if (Meta("kind") != _step.Kind)
        {
            throw new CheckpointMismatchException(path, $"it holds a {Meta("kind")} run, but this run's step is {_step.Kind}");
        }

        RequireParts(path, "networks", Meta("networks"), _step.Networks.Select(n => $"{n.Name}={n.Network.Layout.Name}"));
        RequireParts(path, "optimizers", Meta("optimizers"), _step.Optimizers.Select(o => $"{o.Name}={o.Optimizer.Settings.Kind}:{string.Join(",", o.Optimizer.Networks.Select(PartName))}"));
        RequireParts(path, "device scalars", Meta("scalars"), CheckpointedScalars().Select(s => s.Name));
        RequireParts(path, "counters", Meta("counters"), _step.Counters.Select(c => c.Name));
        var statistics = Meta("statistics");
        if (statistics != string.Join("\n", _step.Statistics.Select(s => s.Name)))
        {
            throw new CheckpointMismatchException(path,
                $"its statistics are {statistics.Replace("\n", ", ", StringComparison.Ordinal)}, but this step reports {string.Join(", ", _step.Statistics.Select(s => s.Name))}");
        }

        var parameters = _step.Networks.Select(n => NetworkTensors.Read(file, n.Name, n.Network)).ToList();
        var states = _step.Networks.Select(n => NetworkTensors.ReadState(file, n.Name, n.Network)).ToList();
        var moments = _step.Optimizers.Select(o => ReadOptimizer(file, path, o.Name, o.Optimizer)).ToList();
        var optimizerSteps = _step.Optimizers.Select(o => Number(path, $"optimizer.{o.Name}.step", Meta($"optimizer.{o.Name}.step"))).ToList();
        var scalars = CheckpointedScalars().Select(s => Float(path, $"scalar.{s.Name}", Meta($"scalar.{s.Name}"))).ToList();
        var counters = _step.Counters.Select(c => ulong.TryParse(Meta($"counter.{c.Name}"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new CheckpointMismatchException(path, $"its metadata 'counter.{c.Name}' is '{Meta($"counter.{c.Name}")}', not a whole number from 0 to {ulong.MaxValue}")).ToList();
        long step = Number(path, "step", Meta("step"));
        int epoch = (int)Number(path, "epoch", Meta("epoch"), int.MaxValue);
        int position = (int)Number(path, "epoch_position", Meta("epoch_position"), int.MaxValue);
        long epochSteps = Number(path, "epoch_steps", Meta("epoch_steps"));
        if (position > step || epochSteps > step)
        {
            throw new CheckpointMismatchException(path, $"its metadata 'epoch_position' ({position}) or 'epoch_steps' ({epochSteps}) counts more steps in the epoch than 'step' ({step}) counts in the whole run");
        }
        ulong seed = ulong.TryParse(Meta("seed"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong storedSeed)
            ? storedSeed
            : throw new CheckpointMismatchException(path, $"its metadata 'seed' is '{Meta("seed")}', not a whole number of 0 or more");
        int batch = (int)Number(path, "batch_size", Meta("batch_size"), int.MaxValue);
        if (batch == 0)
        {
            throw new CheckpointMismatchException(path, "its metadata 'batch_size' is 0; a batch has at least one image");
        }

        var sums = Numbers(path, "statistics.epoch_sums", Meta("statistics.epoch_sums"), _epochSums.Length,
            s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) is var v && double.IsFinite(v) ? v : throw new FormatException());
        var counts = Numbers(path, "statistics.epoch_counts", Meta("statistics.epoch_counts"), _epochCounts.Length,
            s => long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture));
        if (requireSameOptions && position > 0 && batch != _step.BatchSize)
        {
            throw new CheckpointMismatchException(path,
                $"it stopped in the middle of an epoch with batch size {batch}, and this run asks for {_step.BatchSize}; resume with the same batch size");
        }

        // Everything checked: now change state.
        for (int i = 0; i < _step.Networks.Count; i++)
        {
            _step.Networks[i].Network.SetParameters(parameters[i]);
            _step.Networks[i].Network.SetState(states[i]);
        }

        for (int i = 0; i < _step.Optimizers.Count; i++)
        {
            var optimizer = _step.Optimizers[i].Optimizer;
            for (int n = 0; n < optimizer.Networks.Count; n++)
            {
                var state = optimizer.StateOf(n);
                for (int s = 0; s < state.Count; s++)
                {
                    _backend.Upload(moments[i][n][s], state[s].Tensor);
                }
            }

            optimizer.StepCount = optimizerSteps[i];
        }

        var kept = CheckpointedScalars().ToList();
        for (int i = 0; i < kept.Count; i++)
        {
            kept[i].Set(scalars[i]);
        }

        for (int i = 0; i < counters.Count; i++)
        {
            _backend.SetCounter(_step.Counters[i].Counter, counters[i]);
        }

        StepCount = step;
        EpochCount = epoch;
        EpochPosition = position;
        _backend.SetCounter(_epochs, (ulong)epoch);
        sums.CopyTo(_epochSums, 0);
        counts.CopyTo(_epochCounts, 0);
        _epochSteps = epochSteps;
        ResetWindow();
        if (requireSameOptions && seed != _options.Seed)
        {
            // The seed and the counters are the random state: continuing the run means continuing its seed.
            // Captured graphs baked the old seed into their launches: capture again.
            _options = _options with { Seed = seed };
            _step.Seed = seed;
            DisposeGraphs();
            _context.Reset();
            _options.Log?.WriteLine($"note: continuing with the checkpoint's seed {seed}");
        }

        LastCheckpoint = Path.GetFullPath(path);
    }

    /// <summary>Writes a checkpoint into <see cref="TrainerOptions.CheckpointDirectory"/> and deletes the oldest beyond <see cref="TrainerOptions.KeepCheckpoints"/>.</summary>
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

    private IEnumerable<DeviceScalar> CheckpointedScalars() => _step.Scalars.Where(s => s.Checkpointed);

    // A single-network optimizer's state is {name}.m (as GanDsl has always named it); a group's is {name}.{network}.m.
    private string StatePrefix(string optimizerName, Optimizer optimizer, int index) =>
        optimizer.Networks.Count == 1 ? optimizerName : $"{optimizerName}.{PartName(optimizer.Networks[index])}";

    // The file's parts ("name=description" entries) against this step's, naming the first that differs.
    private static void RequireParts(string path, string what, string stored, IEnumerable<string> expected)
    {
        var theirs = stored.Length == 0 ? [] : stored.Split(';');
        var ours = expected.ToArray();
        foreach (var part in ours)
        {
            string name = part.Split('=')[0];
            var match = theirs.FirstOrDefault(t => t.Split('=')[0] == name);
            if (match is null)
            {
                throw new CheckpointMismatchException(path, $"it has no {Singular(what)} '{name}' ({part}); its {what} are {Listed(theirs)}");
            }

            if (match != part)
            {
                throw new CheckpointMismatchException(path, $"its {Singular(what)} {match.Replace("=", " is ", StringComparison.Ordinal)}, but this run's is {part.Split('=', 2)[^1]}");
            }
        }

        var extra = theirs.Where(t => !ours.Any(o => o.Split('=')[0] == t.Split('=')[0])).ToArray();
        if (extra.Length > 0)
        {
            throw new CheckpointMismatchException(path, $"it has {what} this run lacks: {Listed(extra)}; this run's are {Listed(ours)}");
        }

        static string Singular(string plural) => plural.EndsWith('s') ? plural[..^1] : plural;
        static string Listed(IEnumerable<string> parts) => parts.Any() ? string.Join(", ", parts) : "none";
    }

    // Each network's state tensors of the optimizer, checked for presence and length.
    private List<List<float[]>> ReadOptimizer(SafetensorsFile file, string path, string name, Optimizer optimizer)
    {
        var all = new List<List<float[]>>();
        for (int i = 0; i < optimizer.Networks.Count; i++)
        {
            var network = optimizer.Networks[i];
            var state = new List<float[]>();
            foreach (var (stateName, _) in optimizer.StateOf(i))
            {
                string tensorName = $"{StatePrefix(name, optimizer, i)}.{stateName}";
                if (!file.TryGet(tensorName, out var tensor))
                {
                    throw new CheckpointMismatchException(path, $"it has no tensor {tensorName}");
                }

                if (tensor.DType != SafetensorsDType.F32)
                {
                    throw new CheckpointMismatchException(path, $"tensor {tensorName} is {tensor.DType}, but optimizer state is F32");
                }

                var data = NetworkTensors.FiniteValues(file, tensor);
                state.Add(data.LongLength == network.ParameterCount
                    ? data
                    : throw new CheckpointMismatchException(path, $"tensor {tensorName} has {data.Length} values, but {network.Layout.Name} has {network.ParameterCount} parameters"));
            }

            all.Add(state);
        }

        return all;
    }

    private static T[] Numbers<T>(string path, string key, string text, int count, Func<string, T> parse)
    {
        var parts = text.Length == 0 ? [] : text.Split(',');
        if (parts.Length != count)
        {
            throw new CheckpointMismatchException(path, $"its metadata '{key}' holds {parts.Length} numbers, not {count}");
        }

        try
        {
            return parts.Select(parse).ToArray();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CheckpointMismatchException(path, $"its metadata '{key}' is '{text}', not {count} numbers");
        }
    }

    private static long Number(string path, string key, string text, long maximum = long.MaxValue) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= maximum
            ? value
            : throw new CheckpointMismatchException(path, $"its metadata '{key}' is '{text}', not a whole number from 0 to {maximum.ToString(CultureInfo.InvariantCulture)}");

    private static float Float(string path, string key, string text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
            ? value
            : throw new CheckpointMismatchException(path, $"its metadata '{key}' is '{text}', not a finite number");

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
