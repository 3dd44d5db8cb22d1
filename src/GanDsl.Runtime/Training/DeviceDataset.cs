using System.ComponentModel;
using GanDsl.Backends;
using GanDsl.Data;
using GanDsl.Randomness;

namespace GanDsl;

/// <summary>
/// <see cref="TrainingData"/> resident on a backend (on a GPU: in device memory, as bytes): one
/// <see cref="ImageSet"/> per domain, each with the order its batches are gathered in.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DeviceDataset : IDisposable
{
    private readonly ImageSet[] _domains;
    private readonly int[][] _orders;

    internal DeviceDataset(Backend backend, TrainingData data)
    {
        Data = data;
        var domains = data.Domains;
        _domains = new ImageSet[domains.Count];
        _orders = new int[domains.Count][];
        try
        {
            for (int d = 0; d < domains.Count; d++)
            {
                var images = domains[d];
                _domains[d] = backend.CreateImageSet(images.Images, images.Count, images.PixelsPerImage, images.Labels);
                _orders[d] = new int[images.Count];
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The data uploaded.</summary>
    public TrainingData Data { get; }

    /// <summary>Positions per epoch.</summary>
    public int Count => Data.Count;

    /// <summary>How many domains the data has.</summary>
    public int DomainCount => _domains.Length;

    /// <summary>Domain <paramref name="index"/> on the device.</summary>
    public ImageSet Domain(int index) =>
        (uint)index < (uint)_domains.Length
            ? _domains[index]
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"The data has {_domains.Length} domain{(_domains.Length == 1 ? "" : "s")}.");

    /// <summary>
    /// Shuffles for <paramref name="epoch"/> (counting from 1): domains drawn together share one permutation; otherwise
    /// domain d has its own, from stream <see cref="RandomStreams.Shuffle"/> + d.
    /// </summary>
    public void Shuffle(ulong seed, int epoch)
    {
        for (int d = 0; d < _domains.Length; d++)
        {
            if (Data.ShuffledTogether && d > 0)
            {
                _domains[d].SetOrder(_orders[0]);
                continue;
            }

            Philox.Permutation(_orders[d], seed, RandomStreams.Shuffle + (ulong)d, (ulong)epoch);
            _domains[d].SetOrder(_orders[d]);
        }
    }

    /// <summary>Sets the order of every domain to <paramref name="order"/> (domains of one size).</summary>
    public void SetOrder(ReadOnlySpan<int> order)
    {
        foreach (var domain in _domains)
        {
            domain.SetOrder(order);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var domain in _domains)
        {
            domain?.Dispose();
        }
    }
}
