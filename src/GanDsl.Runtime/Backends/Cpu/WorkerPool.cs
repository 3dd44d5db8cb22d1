using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace GanDsl.Backends.Cpu;

/// <summary>A body run over <c>[start, end)</c> of an index range by one worker.</summary>
/// <remarks>
/// Implementations are meant to be preallocated objects whose fields carry the per-call arguments,
/// so that dispatching a loop allocates nothing.
/// </remarks>
internal interface IParallelBody
{
    /// <summary>Runs the items <c>[start, end)</c>.</summary>
    /// <param name="start">First index, inclusive.</param>
    /// <param name="end">Last index, exclusive; always greater than <paramref name="start"/>.</param>
    /// <param name="worker">
    /// Index of the range's worker slot, in <c>[0, ThreadCount)</c>: range r of a loop gets r, and a loop run inline
    /// gets 0. Ranges running at the same time never share an index, so it can select per-worker scratch.
    /// </param>
    void Execute(int start, int end, int worker);
}

/// <summary>
/// A fixed set of threads that run statically partitioned parallel loops with microsecond dispatch and no
/// allocation per loop. The calling thread takes part as worker 0.
/// </summary>
/// <remarks>
/// Idle workers spin on their own slot for <see cref="SpinMicroseconds"/> and then block on an event, so a burst of
/// loops (a training step issues dozens within a millisecond) is dispatched hot, while an idle pool costs no CPU.
/// A range whose worker has not picked it up by the time the caller finishes its own is run by the caller, so a
/// sleeping or descheduled worker delays a loop by at most its own share rather than by its wake-up time.
/// One loop runs at a time: a <see cref="For(int, IParallelBody)"/> issued while another is in flight (from inside a
/// body, or from another thread) runs inline on its caller instead of waiting, so nesting cannot deadlock.
/// </remarks>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>
    /// How long an idle worker polls before it blocks: about what a wake-up from the event costs on a VM (~200 us
    /// measured), the classic break-even for spin-then-block, and longer than the gaps between one step's loops.
    /// </summary>
    private const int SpinMicroseconds = 250;

    /// <summary>Upper bound accepted from <c>GANDSL_CPU_THREADS</c> and the constructor.</summary>
    internal const int MaxThreads = 256;

    private const string ThreadsVariable = "GANDSL_CPU_THREADS";

    private static readonly object SharedLock = new();
    private static WorkerPool? s_shared;

    private readonly Worker[] _workers; // [0] unused: worker 0 is whoever calls For
    private readonly bool _isShared;
    private IParallelBody? _body;
    private int _busy; // 1 while a parallel loop is in flight; doubles as the re-entrancy guard
    private volatile bool _disposed;

    /// <summary>Starts a pool of <paramref name="threadCount"/> workers: the caller plus <c>threadCount - 1</c> background threads.</summary>
    /// <param name="threadCount">Number of workers, 1 to 256.</param>
    public WorkerPool(int threadCount)
        : this(threadCount, isShared: false)
    {
    }

    private WorkerPool(int threadCount, bool isShared)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threadCount, MaxThreads);
        _isShared = isShared;
        ThreadCount = threadCount;
        _workers = new Worker[threadCount];
        for (int i = 1; i < threadCount; i++)
        {
            var worker = new Worker();
            worker.Slot.Claimed = 1; // nothing to take until the first loop
            _workers[i] = worker;
            int index = i;
            worker.Thread = new Thread(() => WorkerLoop(worker, index))
            {
                IsBackground = true,
                Name = $"GanDsl CPU worker {i}",
            };
            worker.Thread.Start();
        }
    }

    /// <summary>Number of workers, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// The process-wide pool: <see cref="Environment.ProcessorCount"/> workers, or the value of the
    /// <c>GANDSL_CPU_THREADS</c> environment variable when it is set. Disposing it has no effect.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>GANDSL_CPU_THREADS</c> is set but is not an integer from 1 to 256.</exception>
    public static WorkerPool Shared
    {
        get
        {
            var pool = Volatile.Read(ref s_shared);
            if (pool is not null)
            {
                return pool;
            }

            lock (SharedLock)
            {
                // A bad variable throws on every access rather than leaving a half-initialised static behind.
                s_shared ??= new WorkerPool(
                    ResolveThreadCount(Environment.GetEnvironmentVariable(ThreadsVariable), Environment.ProcessorCount),
                    isShared: true);
                return s_shared;
            }
        }
    }

    /// <summary>The worker count for a <c>GANDSL_CPU_THREADS</c> value: unset or blank means <paramref name="processorCount"/>.</summary>
    internal static int ResolveThreadCount(string? value, int processorCount)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Math.Clamp(processorCount, 1, MaxThreads);
        }

        if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > MaxThreads)
        {
            throw new InvalidOperationException(
                $"{ThreadsVariable} must be an integer from 1 to {MaxThreads}, but is '{value}'.");
        }

        return count;
    }

    /// <summary>
    /// Runs <paramref name="body"/> over <c>[0, count)</c> split into <see cref="ThreadCount"/> contiguous ranges
    /// (fewer when <paramref name="count"/> is smaller), the caller running the first, and returns when all are done.
    /// </summary>
    /// <remarks>
    /// The split depends only on <paramref name="count"/> and <see cref="ThreadCount"/>: range <c>r</c> of <c>P</c> is
    /// <c>[r * count / P, (r + 1) * count / P)</c> and runs as worker <c>r</c> (on that worker's thread, or on the
    /// caller's if the worker is late). With <c>count &lt; 2</c>, one worker, or another loop in flight, the whole
    /// range runs inline as worker 0. If bodies throw, the exception of the lowest-numbered range is rethrown here
    /// after every range has finished, and the pool stays usable.
    /// </remarks>
    /// <param name="count">Number of items; 0 does nothing.</param>
    /// <param name="body">The loop body.</param>
    public void For(int count, IParallelBody body) => For(count, 1, body);

    /// <summary>
    /// Like <see cref="For(int, IParallelBody)"/>, but uses only as many workers as give each at least
    /// <paramref name="minPerWorker"/> items, so short loops stay on the calling thread.
    /// </summary>
    /// <param name="count">Number of items; 0 does nothing.</param>
    /// <param name="minPerWorker">Fewest items worth handing to one worker; at least 1.</param>
    /// <param name="body">The loop body.</param>
    public void For(int count, int minPerWorker, IParallelBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(minPerWorker, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0)
        {
            return;
        }

        int parts = Math.Min(ThreadCount, count / minPerWorker);
        if (parts < 2 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body.Execute(0, count, 0);
            return;
        }

        try
        {
            RunParallel(count, parts, body);
        }
        finally
        {
            _body = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    private void RunParallel(int count, int parts, IParallelBody body)
    {
        _body = body;
        for (int w = 1; w < parts; w++)
        {
            ref var slot = ref _workers[w].Slot;

            // The slot is still claimed from the last loop, so a late worker cannot take it half written.
            slot.Start = (int)((long)w * count / parts);
            slot.End = (int)((long)(w + 1) * count / parts);
            Volatile.Write(ref slot.Claimed, 0);

            // The interlocked increment is a full fence: it publishes _body and the range before the worker can see
            // the new generation, and orders the read of Sleeping after it (the worker does the mirror image).
            slot.Issued = Interlocked.Increment(ref slot.Generation);
            if (Volatile.Read(ref slot.Sleeping) != 0)
            {
                _workers[w].Wake.Set();
            }
        }

        Exception? first = null;
        try
        {
            body.Execute(0, (int)((long)count / parts), 0);
        }
        catch (Exception ex)
        {
            first = ex;
        }

        // Every range must finish before returning (the caller owns the data), even when range 0 threw.
        for (int w = 1; w < parts; w++)
        {
            var worker = _workers[w];
            if (Interlocked.CompareExchange(ref worker.Slot.Claimed, 1, 0) == 0)
            {
                // The worker has not started it (asleep, or descheduled): cheaper to run it here than to wait.
                try
                {
                    body.Execute(worker.Slot.Start, worker.Slot.End, w);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }

                continue;
            }

            if (Volatile.Read(ref worker.Slot.Done) != worker.Slot.Issued)
            {
                var spinner = default(SpinWait);
                while (Volatile.Read(ref worker.Slot.Done) != worker.Slot.Issued)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }

            if (worker.Error is { } error)
            {
                worker.Error = null;
                first ??= error;
            }
        }

        if (first is not null)
        {
            ExceptionDispatchInfo.Throw(first);
        }
    }

    private void WorkerLoop(Worker worker, int index)
    {
        int seen = 0;
        while (true)
        {
            seen = WaitForWork(worker, seen);
            if (_disposed)
            {
                return;
            }

            // A late worker may find its range already run by the caller, or be woken by one generation and find
            // the next one's range: the claim decides who runs a range, and Done only moves to a generation seen,
            // after the range this worker claimed has finished.
            if (Interlocked.CompareExchange(ref worker.Slot.Claimed, 1, 0) == 0)
            {
                try
                {
                    _body!.Execute(worker.Slot.Start, worker.Slot.End, index);
                }
                catch (Exception ex)
                {
                    worker.Error = ex;
                }
            }

            Volatile.Write(ref worker.Slot.Done, seen);
        }
    }

    /// <summary>Returns the next generation handed to <paramref name="worker"/>: polls first, then blocks.</summary>
    private static int WaitForWork(Worker worker, int seen)
    {
        while (true)
        {
            long deadline = 0;
            for (int i = 1; ; i++)
            {
                int generation = Volatile.Read(ref worker.Slot.Generation);
                if (generation != seen)
                {
                    return generation;
                }

                // Reading the clock costs more than a poll, so look at it only every few dozen polls.
                if ((i & 31) == 0)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (deadline == 0)
                    {
                        deadline = now + Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
                    }
                    else if (now > deadline)
                    {
                        break;
                    }
                }

                Thread.SpinWait(1);
            }

            // Clear a stale wake-up first, then announce the sleep and look once more (Dekker style with the caller's
            // increment-then-read), so a generation issued in between is never missed.
            worker.Wake.Reset();
            Interlocked.Exchange(ref worker.Slot.Sleeping, 1);
            if (Volatile.Read(ref worker.Slot.Generation) == seen)
            {
                worker.Wake.Wait();
            }

            Volatile.Write(ref worker.Slot.Sleeping, 0);
        }
    }

    /// <summary>Stops the background threads; call it when no loop is running. Has no effect on <see cref="Shared"/>.</summary>
    public void Dispose()
    {
        if (_isShared || _disposed)
        {
            return;
        }

        _disposed = true;
        for (int w = 1; w < _workers.Length; w++)
        {
            Interlocked.Increment(ref _workers[w].Slot.Generation);
            _workers[w].Wake.Set();
        }

        for (int w = 1; w < _workers.Length; w++)
        {
            // A body disposing its own pool cannot wait for itself; that worker's event is left to the GC.
            if (_workers[w].Thread != Thread.CurrentThread)
            {
                _workers[w].Thread!.Join();
                _workers[w].Wake.Dispose();
            }
        }
    }

    private sealed class Worker
    {
        public WorkerSlot Slot;
        public Exception? Error;
        public Thread? Thread;

        // Spinning is done by WaitForWork, so the event itself should block at once.
        public readonly ManualResetEventSlim Wake = new(false, 1);
    }

    /// <summary>The fields the caller and one worker ping-pong on, padded onto a cache line of their own.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct WorkerSlot
    {
        [FieldOffset(64)] public int Generation; // bumped by the caller to hand out [Start, End)
        [FieldOffset(68)] public int Start;
        [FieldOffset(72)] public int End;
        [FieldOffset(76)] public int Sleeping; // 1 while the worker is (about to be) blocked on Wake
        [FieldOffset(80)] public int Done; // last generation the worker finished
        [FieldOffset(84)] public int Issued; // last generation handed out; touched by the caller only
        [FieldOffset(88)] public int Claimed; // 1 once the worker or the caller has taken the current range
    }
}
