using GanDsl.Backends;

namespace GanDsl.Tests.Backends;

/// <summary>The depth of a captured graph (<see cref="StepGraph.LongestChain"/>), computed from its nodes and edges.</summary>
public sealed class GraphDepthTests
{
    [Fact]
    public void AChainIsAsDeepAsItIsLong()
    {
        Assert.Equal(4, GraphDepth.LongestChain<int>([1, 2, 3, 4], [1, 2, 3], [2, 3, 4]));
        Assert.Equal(1, GraphDepth.LongestChain<int>([7], [], []));
        Assert.Equal(0, GraphDepth.LongestChain<int>([], [], []));
    }

    [Fact]
    public void ABranchBesideTheMainLineShortensTheChain()
    {
        // main: 0 -> 1 -> 2 -> 3 -> 4; side: 1 -> 5 -> 4 (forked after 1, joined before 4); and an unconnected 6.
        int[] nodes = [0, 1, 2, 3, 4, 5, 6];
        Assert.Equal(5, GraphDepth.LongestChain<int>(nodes, [0, 1, 2, 3, 1, 5], [1, 2, 3, 4, 5, 4]));

        // A side path longer than the main one sets the depth: 1 -> 5 -> 6 -> 7 -> 4.
        Assert.Equal(6, GraphDepth.LongestChain<int>([0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 1, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 4]));
    }

    [Fact]
    public void CyclesAndUnknownNodesAreRefused()
    {
        Assert.Contains("cycle", Assert.Throws<ArgumentException>(() => GraphDepth.LongestChain<int>([1, 2], [1, 2], [2, 1])).Message);
        Assert.Contains("not in the graph", Assert.Throws<ArgumentException>(() => GraphDepth.LongestChain<int>([1], [1], [9])).Message);
        Assert.Throws<ArgumentException>(() => GraphDepth.LongestChain<int>([1, 2], [1], []));
    }
}
