using GanDsl.Backends;

namespace GanDsl;

public abstract partial class Backend
{
    /// <summary>
    /// Runs <paramref name="program"/>'s assignments to device scalars in order, as one launch (see
    /// <see cref="ScalarProgram"/>); a captured step replays it.
    /// </summary>
    public void Evaluate(ScalarProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var tensors = program.Tensors;
        for (int i = 0; i < tensors.Count; i++)
        {
            if (!ReferenceEquals(tensors[i].Buffer.Backend, this))
            {
                RequireOwned(tensors[i], nameof(program));
            }
        }

        var counters = program.Counters;
        for (int i = 0; i < counters.Count; i++)
        {
            RequireCounter(counters[i]);
        }

        EvaluateCore(program);
    }

    /// <summary>See <see cref="Evaluate"/>; operands checked. On the CPU the program runs on the host copies, in float.</summary>
    protected virtual void EvaluateCore(ScalarProgram program) => program.EvaluateOnHost();

    /// <summary><c>destination += scale * source</c>, element by element (same element count).</summary>
    public void Add(Tensor source, Tensor destination, float scale = 1f)
    {
        RequireOwned(source, nameof(source));
        RequireOwned(destination, nameof(destination));
        RequireLength(source.Length, destination, nameof(source));
        AddCore(source, destination, scale);
    }

    /// <summary>See <see cref="Add"/>.</summary>
    protected abstract void AddCore(Tensor source, Tensor destination, float scale);
}
