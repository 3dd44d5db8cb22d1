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

    /// <summary>
    /// One update of an exponential moving average (a generator's averaged weights, Yazıcı et al. 2019):
    /// <c>average = d * average + (1 - d) * values</c>, element by element, with <c>d = min(decay, (1 + t) / (10 + t))</c>
    /// for update <c>t</c> (TensorFlow's <c>ExponentialMovingAverage</c> with <c>num_updates</c>), so that the first
    /// updates follow the values instead of the starting point. <c>d</c> is formed in double, then rounded to float.
    /// </summary>
    /// <param name="values">What is averaged.</param>
    /// <param name="average">The average, updated in place (same element count).</param>
    /// <param name="decay">The most weight the old average keeps, in [0, 1).</param>
    /// <param name="update">The update's number <c>t</c>: a constant, or read from a counter when it runs (so a captured step replays with the right <c>d</c>).</param>
    public void MovingAverage(Tensor values, Tensor average, float decay, CounterValue update)
    {
        RequireOwned(values, nameof(values));
        RequireOwned(average, nameof(average));
        RequireLength(values.Length, average, nameof(values));
        RequireCounter(update);
        if (!(decay >= 0f && decay < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay of a moving average is in [0, 1).");
        }

        MovingAverageCore(values, average, decay, update);
    }

    /// <summary>See <see cref="MovingAverage"/>; operands checked.</summary>
    protected abstract void MovingAverageCore(Tensor values, Tensor average, float decay, CounterValue update);

    /// <summary>The <c>d</c> of <see cref="MovingAverage"/> for update <paramref name="t"/>, as every backend forms it.</summary>
    internal static float MovingAverageWeight(float decay, ulong t)
    {
        double warm = (1.0 + t) / (10.0 + t);
        return (float)(warm < decay ? warm : decay);
    }
}
