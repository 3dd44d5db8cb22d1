namespace GanDsl.Backends;

/// <summary>The depth of a dependency graph: how many of its nodes the longest path runs through.</summary>
internal static class GraphDepth
{
    /// <summary>
    /// The most nodes on one path of the graph with <paramref name="nodes"/> and edges
    /// <paramref name="from"/>[i] to <paramref name="to"/>[i] (each node runs after the nodes with edges to it).
    /// </summary>
    /// <exception cref="ArgumentException">An edge names a node not in the list, or the edges form a cycle.</exception>
    public static int LongestChain<T>(ReadOnlySpan<T> nodes, ReadOnlySpan<T> from, ReadOnlySpan<T> to)
        where T : notnull
    {
        if (from.Length != to.Length)
        {
            throw new ArgumentException($"{from.Length} edge sources but {to.Length} targets.", nameof(to));
        }

        var index = new Dictionary<T, int>(nodes.Length);
        for (int i = 0; i < nodes.Length; i++)
        {
            index[nodes[i]] = i;
        }

        var successors = new List<int>[nodes.Length];
        var waiting = new int[nodes.Length];
        for (int e = 0; e < from.Length; e++)
        {
            if (!index.TryGetValue(from[e], out int a) || !index.TryGetValue(to[e], out int b))
            {
                throw new ArgumentException($"Edge {e} names a node that is not in the graph.", nameof(from));
            }

            (successors[a] ??= []).Add(b);
            waiting[b]++;
        }

        // Kahn's order: a node's depth is one more than its deepest predecessor's.
        var depth = new int[nodes.Length];
        var ready = new Queue<int>();
        for (int i = 0; i < nodes.Length; i++)
        {
            if (waiting[i] == 0)
            {
                ready.Enqueue(i);
                depth[i] = 1;
            }
        }

        int visited = 0, deepest = 0;
        while (ready.Count > 0)
        {
            int node = ready.Dequeue();
            visited++;
            deepest = Math.Max(deepest, depth[node]);
            foreach (int next in successors[node] ?? [])
            {
                depth[next] = Math.Max(depth[next], depth[node] + 1);
                if (--waiting[next] == 0)
                {
                    ready.Enqueue(next);
                }
            }
        }

        return visited == nodes.Length ? deepest : throw new ArgumentException("The edges form a cycle.", nameof(from));
    }
}
