using GanDsl.Backends;

namespace GanDsl.Tests.Models;

/// <summary>The generated layer table: each row describes its own layer, even when several are written alike.</summary>
public sealed class LayerTableTests
{
    [Fact]
    public void LayersWrittenAlikeKeepTheirOwnGeometryAndState()
    {
        var layers = TwinLayersNet.Definition.Layers;
        var convolutions = layers.Where(l => l.Kind == LayerKind.Conv2D).ToArray();
        Assert.Equal(2, convolutions.Length);
        Assert.Equal(convolutions[0].Description, convolutions[1].Description);
        Assert.Equal(new ConvGeometry(1, 9, 9, 5, 5, 3, 2, 1, 1), convolutions[0].Geometry);
        Assert.Equal(new ConvGeometry(2, 5, 5, 3, 3, 3, 2, 1, 1), convolutions[1].Geometry);

        var norms = layers.Where(l => l.Kind == LayerKind.BatchNorm).Select(l => l.StateIndex);
        Assert.Equal([0, 2], norms);
    }

    [Fact]
    public void TheDcganGeneratorsBatchNormsEachPointAtTheirOwnRunningStatistics()
    {
        var layout = Dcgan.DcganGenerator.Definition;
        var norms = layout.Layers.Where(l => l.Kind == LayerKind.BatchNorm).ToArray();
        Assert.Equal([0, 2, 4], norms.Select(l => l.StateIndex));
        foreach (var norm in norms)
        {
            // The running mean the row points at has one value per channel of the layer's output.
            Assert.Equal(norm.Output.Channels, layout.States[norm.StateIndex].Length);
            Assert.StartsWith("running_mean", layout.States[norm.StateIndex].Name);
        }
    }
}
