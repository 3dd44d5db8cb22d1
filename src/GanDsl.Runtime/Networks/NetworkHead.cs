namespace GanDsl;

/// <summary>
/// A head of a network declared with <see cref="HeadAttribute"/>: a chain of layers that branches off the trunk and
/// ends in an output of its own. Its output and output gradient are views of the network's activation memory in the
/// current <see cref="Network.Context"/>; a backward pass takes the heads it is given (<see cref="HeadSet"/>).
/// </summary>
public sealed class NetworkHead
{
    private readonly int _slot;

    internal NetworkHead(Network network, int index, HeadInfo info)
    {
        Network = network;
        Index = index;
        Name = info.Name;
        _slot = info.Slot;
        Shape = network.Layout.Slots[info.Slot];
    }

    /// <summary>The network the head belongs to.</summary>
    public Network Network { get; }

    /// <summary>The name <see cref="HeadAttribute"/> gives it.</summary>
    public string Name { get; }

    /// <summary>Its position among the network's heads (declaration order).</summary>
    public int Index { get; }

    /// <summary>The shape of one output sample.</summary>
    public TensorShape Shape { get; }

    /// <summary>Features per output sample.</summary>
    public int Features => Shape.Features;

    /// <summary>The (rows, <see cref="Features"/>) output the forward pass writes.</summary>
    public Tensor Output(int rows) => Network.Activation(_slot, rows);

    /// <summary>Where a loss puts the gradient with respect to <see cref="Output"/>, which a backward pass given this head reads (and overwrites).</summary>
    public Tensor OutputGradient(int rows) => Network.ActivationGradient(_slot, rows);

    /// <summary>The set of this head alone.</summary>
    public static implicit operator HeadSet(NetworkHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return new HeadSet(head.Network, 1u << head.Index);
    }

    /// <summary>The set of two heads of one network.</summary>
    public static HeadSet operator |(NetworkHead left, NetworkHead right) => (HeadSet)left | (HeadSet)right;

    /// <inheritdoc />
    public override string ToString() => $"{Network.Layout.Name}.{Name} {Shape}";
}

/// <summary>Heads of one network a backward pass takes gradients from: <c>validity | label</c>.</summary>
public readonly struct HeadSet : IEquatable<HeadSet>
{
    internal HeadSet(Network network, uint mask)
    {
        Network = network;
        Mask = mask;
    }

    /// <summary>The network the heads belong to; null for the empty set.</summary>
    public Network? Network { get; }

    /// <summary>A bit per head, by <see cref="NetworkHead.Index"/>.</summary>
    public uint Mask { get; }

    /// <summary>Whether <paramref name="head"/> is in the set.</summary>
    public bool Contains(NetworkHead head) => head is not null && ReferenceEquals(head.Network, Network) && (Mask & (1u << head.Index)) != 0;

    /// <summary>The union of two sets of one network's heads.</summary>
    public static HeadSet operator |(HeadSet left, HeadSet right)
    {
        if (left.Network is null)
        {
            return right;
        }

        if (right.Network is not null && !ReferenceEquals(left.Network, right.Network))
        {
            throw new ArgumentException($"Heads of {left.Network.Layout.Name} and of another network cannot be backpropagated together; call each network's Backward.");
        }

        return new HeadSet(left.Network, left.Mask | right.Mask);
    }

    /// <inheritdoc />
    public bool Equals(HeadSet other) => ReferenceEquals(Network, other.Network) && Mask == other.Mask;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is HeadSet other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Network, Mask);

    /// <summary>Whether two sets hold the same heads of the same network.</summary>
    public static bool operator ==(HeadSet left, HeadSet right) => left.Equals(right);

    /// <summary>Whether two sets differ.</summary>
    public static bool operator !=(HeadSet left, HeadSet right) => !left.Equals(right);
}
