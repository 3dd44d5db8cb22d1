namespace GanDsl.Checkpoints;

/// <summary>
/// A network's parameters as safetensors tensors, one per parameter under <c>{prefix}.{name}</c>
/// (e.g. <c>generator.W0</c> of shape (256, 100), <c>generator.b0</c> of shape (256)), so PyTorch can
/// load them into the matching <c>nn.Linear</c> layers. Parameters a network shares with another
/// (<see cref="SharedWithAttribute"/>) are stored once, under the owner's prefix.
/// </summary>
public static class NetworkTensors
{
    /// <summary>
    /// Appends <paramref name="network"/>'s parameters, copied to the host, to <paramref name="tensors"/>,
    /// then its state (BatchNorm's running statistics) as <c>{prefix}.state.{name}</c>.
    /// </summary>
    public static void Add(ICollection<SafetensorsTensor> tensors, string prefix, Network network)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(network);
        var values = network.GetParameters();
        foreach (var p in network.Layout.Parameters.Where(p => !p.Shared))
        {
            tensors.Add(new SafetensorsTensor($"{prefix}.{p.Name}", p.Shape, values.AsSpan((int)p.Offset, (int)p.Length).ToArray()));
        }

        var state = network.GetState();
        foreach (var s in network.Layout.States)
        {
            tensors.Add(new SafetensorsTensor($"{prefix}.state.{s.Name}", [s.Length], state.AsSpan((int)s.Offset, s.Length).ToArray()));
        }
    }

    /// <summary>Reads the state written by <see cref="Add"/>, checking names and lengths; nothing is uploaded.</summary>
    public static float[] ReadState(SafetensorsFile file, string prefix, Network network)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(network);
        var values = new float[network.Layout.StateCount];
        foreach (var s in network.Layout.States)
        {
            string name = $"{prefix}.state.{s.Name}";
            if (!file.TryGet(name, out var tensor) || tensor.DType != SafetensorsDType.F32 || tensor.ElementCount != s.Length)
            {
                throw new CheckpointMismatchException(file.FilePath, $"it has no F32 tensor {name} of {s.Length} values for {network.Layout.Name}: another model");
            }

            FiniteValues(file, tensor).CopyTo(values, s.Offset);
        }

        return values;
    }

    /// <summary>
    /// Reads the parameters of <paramref name="network"/> from <paramref name="file"/> into one host
    /// array in the network's buffer layout, checking every tensor's presence and shape first; throws
    /// <see cref="CheckpointMismatchException"/> naming what does not fit. Nothing is uploaded.
    /// </summary>
    public static float[] Read(SafetensorsFile file, string prefix, Network network)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(network);
        var values = new float[network.ParameterCount];
        var owned = network.Layout.Parameters.Where(p => !p.Shared).ToList();
        foreach (var p in owned)
        {
            string name = $"{prefix}.{p.Name}";
            if (!file.TryGet(name, out var tensor))
            {
                throw new CheckpointMismatchException(file.FilePath, $"it has no tensor {name}; {network.Layout.Name} needs one of shape ({string.Join(", ", p.Shape)}): another model?");
            }

            if (tensor.DType != SafetensorsDType.F32 || !tensor.Shape.SequenceEqual(p.Shape))
            {
                throw new CheckpointMismatchException(file.FilePath,
                    $"tensor {name} is {tensor.DType} ({string.Join(", ", tensor.Shape)}), but {network.Layout.Name} needs F32 ({string.Join(", ", p.Shape)}): another model");
            }

            FiniteValues(file, tensor).CopyTo(values, p.Offset);
        }

        int present = file.Tensors.Count(t => IsParameterOf(t.Name, prefix));
        if (present != owned.Count)
        {
            throw new CheckpointMismatchException(file.FilePath,
                $"it holds {present} {prefix} parameter tensors, but {network.Layout.Name} has {owned.Count}: another model");
        }

        return values;
    }

    /// <summary>
    /// The values of an F32 tensor that training or evaluation will use, refused when any is NaN or infinite: such a checkpoint
    /// is the record of a run that had already diverged, and training on from it would write the same values back.
    /// </summary>
    /// <exception cref="CheckpointFormatException">A value is not finite; the message names the tensor and the first such index.</exception>
    public static float[] FiniteValues(SafetensorsFile file, SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        var values = tensor.AsFloat32();
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                int count = values.Count(v => !float.IsFinite(v));
                throw new CheckpointFormatException(file.FilePath,
                    $"tensor {tensor.Name} holds {values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at index {i} " +
                    $"({count:N0} of its {values.Length:N0} values are not finite): it was saved from a run that had diverged; use an earlier checkpoint");
            }
        }

        return values;
    }

    // Parameters are {prefix}.{name} with no further dot (optimizer state lives under {prefix}.adam.*).
    private static bool IsParameterOf(string tensorName, string prefix) =>
        tensorName.Length > prefix.Length + 1
        && tensorName.StartsWith(prefix + ".", StringComparison.Ordinal)
        && tensorName.IndexOf('.', prefix.Length + 1) < 0;
}
