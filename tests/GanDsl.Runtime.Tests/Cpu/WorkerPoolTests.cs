using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Cpu;

public sealed class WorkerPoolTests
{
    /// <summary>Records every call so tests can check coverage, ranges and threads.</summary>
    private sealed class Recorder : IParallelBody
    {
        public readonly List<(int Start, int End, int Worker, int ThreadId, bool Background, string? Name)> Calls = new();

        public void Execute(int start, int end, int worker)
        {
            var t = Thread.CurrentThread;
            lock (Calls)
            {
                Calls.Add((start, end, worker, Environment.CurrentManagedThreadId, t.IsBackground, t.Name));
            }
        }
    }

    /// <summary>Counts items and nothing else, so it can be reused without allocating.</summary>
    private sealed class Counter : IParallelBody
    {
        public int Items;

        public void Execute(int start, int end, int worker) => Interlocked.Add(ref Items, end - start);
    }

    private sealed class Thrower(int throwingWorker, string message) : IParallelBody
    {
        public void Execute(int start, int end, int worker)
        {
            if (throwingWorker < 0 || worker == throwingWorker)
            {
                throw new InvalidOperationException($"{message} {worker}");
            }
        }
    }

    /// <summary>
    /// Records like <see cref="Recorder"/>, but each range first waits until all <c>parts</c> ranges have started, so
    /// the test knows they ran at the same time on different threads (a range is otherwise free to be run by the
    /// caller when its worker is slow to wake). Gives up after a few seconds rather than hang.
    /// </summary>
    private sealed class Rendezvous(int parts, IParallelBody? then = null) : IParallelBody
    {
        public readonly Recorder Log = new();
        private int _started;

        public bool AllMet { get; private set; } = true;

        public void Execute(int start, int end, int worker)
        {
            Interlocked.Increment(ref _started);
            if (!SpinWait.SpinUntil(() => Volatile.Read(ref _started) >= parts, TimeSpan.FromSeconds(5)))
            {
                AllMet = false;
            }

            Log.Execute(start, end, worker);
            then?.Execute(start, end, worker);
        }
    }

    /// <summary>Issues a For on the same pool from inside each range.</summary>
    private sealed class Nester(WorkerPool pool) : IParallelBody
    {
        public readonly Recorder Inner = new();

        public void Execute(int start, int end, int worker) => pool.For(5, Inner);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 100)]
    [InlineData(2, 2)]
    [InlineData(2, 3)]
    [InlineData(2, 1000)]
    [InlineData(3, 2)]
    [InlineData(3, 7)]
    [InlineData(4, 1_000_003)]
    public void For_CoversEveryIndexOnce_WithTheDocumentedStaticSplit(int threads, int count)
    {
        using var pool = new WorkerPool(threads);
        var body = new Recorder();
        pool.For(count, body);

        var calls = body.Calls.OrderBy(c => c.Start).ToList();
        int parts = Math.Min(threads, count);
        Assert.Equal(parts, calls.Count);
        for (int r = 0; r < parts; r++)
        {
            Assert.Equal((int)((long)r * count / parts), calls[r].Start);
            Assert.Equal((int)((long)(r + 1) * count / parts), calls[r].End);
            Assert.Equal(r, calls[r].Worker);
        }

        Assert.Equal(0, calls[0].Start);
        Assert.Equal(count, calls[^1].End);
        Assert.All(calls.Zip(calls.Skip(1)), pair => Assert.Equal(pair.First.End, pair.Second.Start));
    }

    [Fact]
    public void For_SameCountAndThreads_GivesSameRangesEveryTime()
    {
        using var pool = new WorkerPool(3);
        var first = new Recorder();
        var second = new Recorder();
        pool.For(1000, first);
        pool.For(1000, second);
        var a = first.Calls.Select(c => (c.Start, c.End, c.Worker)).OrderBy(c => c.Worker);
        var b = second.Calls.Select(c => (c.Start, c.End, c.Worker)).OrderBy(c => c.Worker);
        Assert.Equal(a, b);
    }

    [Fact]
    public void For_RunsRangesConcurrently_CallerAsWorkerZero_OthersOnNamedBackgroundThreads()
    {
        using var pool = new WorkerPool(3);
        var body = new Rendezvous(3);
        pool.For(3, body);
        Assert.True(body.AllMet, "the three ranges never ran at the same time");

        int caller = Environment.CurrentManagedThreadId;
        var calls = body.Log.Calls;
        Assert.Equal(caller, calls.Single(c => c.Worker == 0).ThreadId);
        var others = calls.Where(c => c.Worker != 0).ToList();
        Assert.Equal(2, others.Count);
        Assert.All(others, c =>
        {
            Assert.NotEqual(caller, c.ThreadId);
            Assert.True(c.Background);
            Assert.StartsWith("GanDsl CPU worker", c.Name);
        });
        Assert.Equal(2, others.Select(c => c.ThreadId).Distinct().Count());
    }

    [Fact]
    public void For_SmallOrEmptyCounts_RunInlineOrNotAtAll()
    {
        using var pool = new WorkerPool(4);
        var body = new Recorder();
        pool.For(0, body);
        Assert.Empty(body.Calls);

        pool.For(1, body);
        var single = Assert.Single(body.Calls);
        Assert.Equal((0, 1, 0, Environment.CurrentManagedThreadId), (single.Start, single.End, single.Worker, single.ThreadId));

        // 10 items at no fewer than 8 per worker: one worker, inline.
        body.Calls.Clear();
        pool.For(10, 8, body);
        single = Assert.Single(body.Calls);
        Assert.Equal((0, 10, 0), (single.Start, single.End, single.Worker));

        // 17 items at 8 per worker: two workers of the four.
        body.Calls.Clear();
        pool.For(17, 8, body);
        Assert.Equal(new[] { (0, 8), (8, 17) }, body.Calls.Select(c => (c.Start, c.End)).OrderBy(c => c.Item1));
    }

    [Fact]
    public void For_OneThreadPool_RunsEverythingInline()
    {
        using var pool = new WorkerPool(1);
        var body = new Recorder();
        pool.For(100, body);
        var single = Assert.Single(body.Calls);
        Assert.Equal((0, 100, 0, Environment.CurrentManagedThreadId), (single.Start, single.End, single.Worker, single.ThreadId));
    }

    [Fact]
    public void For_ExceptionOnAWorker_IsRethrownOnTheCaller_AndThePoolStaysUsable()
    {
        using var pool = new WorkerPool(3);
        var ex = Assert.Throws<InvalidOperationException>(() => pool.For(3, new Thrower(2, "boom")));
        Assert.Equal("boom 2", ex.Message);

        ex = Assert.Throws<InvalidOperationException>(() => pool.For(3, new Thrower(0, "caller")));
        Assert.Equal("caller 0", ex.Message);

        // Every range throws: the lowest worker's exception wins, deterministically.
        ex = Assert.Throws<InvalidOperationException>(() => pool.For(3, new Thrower(-1, "all")));
        Assert.Equal("all 0", ex.Message);

        var counter = new Counter();
        pool.For(1000, counter);
        Assert.Equal(1000, counter.Items);
    }

    [Fact]
    public async Task For_NestedCallFromInsideABody_RunsInlineWithoutDeadlock()
    {
        using var pool = new WorkerPool(2);
        var nester = new Nester(pool);
        var outer = new Rendezvous(2, nester);

        // A deadlock shows up as a TimeoutException instead of a hung test run.
        var cancel = TestContext.Current.CancellationToken;
        await Task.Run(() => pool.For(2, outer), cancel).WaitAsync(TimeSpan.FromSeconds(20), cancel);
        Assert.True(outer.AllMet, "the two outer ranges never ran at the same time");

        // Each of the two concurrent outer ranges ran the inner loop whole, as worker 0, on its own thread.
        Assert.Equal(2, nester.Inner.Calls.Count);
        Assert.All(nester.Inner.Calls, c => Assert.Equal((0, 5, 0), (c.Start, c.End, c.Worker)));
        Assert.Equal(2, nester.Inner.Calls.Select(c => c.ThreadId).Distinct().Count());
    }

    [Fact]
    public async Task For_ConcurrentCallersOnOnePool_BothComplete()
    {
        using var pool = new WorkerPool(2);
        var bodies = new[] { new Counter(), new Counter() };
        var cancel = TestContext.Current.CancellationToken;
        var tasks = bodies.Select(b => Task.Run(
            () =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    pool.For(10, b);
                }
            },
            cancel)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(20), cancel);
        Assert.All(bodies, b => Assert.Equal(20_000, b.Items));
    }

    [Fact]
    public void For_AfterWorkersWentToSleep_StillRunsEveryRange()
    {
        using var pool = new WorkerPool(2);
        var body = new Recorder();
        for (int i = 0; i < 3; i++)
        {
            Thread.Sleep(30); // well past the spin period, so the worker blocks on its event
            pool.For(2, body);
        }

        // Whether the worker woke in time or the caller took its range, each range ran once, with its own index.
        Assert.Equal(6, body.Calls.Count);
        Assert.Equal(3, body.Calls.Count(c => (c.Start, c.End, c.Worker) == (1, 2, 1)));

        // And once woken, the worker takes part again.
        var met = new Rendezvous(2);
        pool.For(2, met);
        Assert.True(met.AllMet, "the worker never woke up");
    }

    [Fact]
    public void For_ManyLoopsInARow_EachRangeRunsExactlyOnce()
    {
        // Exercises the hand-over between a late worker and the caller taking its range.
        using var pool = new WorkerPool(3);
        var body = new Counter();
        for (int i = 0; i < 20_000; i++)
        {
            pool.For(3 + (i % 5), body);
        }

        long expected = 0;
        for (int i = 0; i < 20_000; i++)
        {
            expected += 3 + (i % 5);
        }

        Assert.Equal(expected, body.Items);
    }

    [Fact]
    public void For_AllocatesNothingPerCall()
    {
        using var pool = new WorkerPool(2);
        var body = new Counter();
        for (int i = 0; i < 1000; i++)
        {
            pool.For(64, body);
            pool.For(64, 16, body);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            pool.For(64, body);
            pool.For(64, 16, body);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2 * 11_000 * 64, body.Items);
    }

    [Fact]
    public void Dispose_StopsThePool()
    {
        var pool = new WorkerPool(3);
        pool.For(3, new Counter());
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.For(3, new Counter()));
    }

    [Fact]
    public void Arguments_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
        using var pool = new WorkerPool(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(-1, new Counter()));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(4, 0, new Counter()));
        Assert.Throws<ArgumentNullException>(() => pool.For(4, null!));
    }

    [Theory]
    [InlineData(null, 6, 6)]
    [InlineData("", 6, 6)]
    [InlineData("  ", 2, 2)]
    [InlineData("1", 6, 1)]
    [InlineData(" 3 ", 6, 3)]
    [InlineData("256", 6, 256)]
    public void ResolveThreadCount_AcceptsUnsetOrAPositiveInteger(string? value, int processors, int expected)
        => Assert.Equal(expected, WorkerPool.ResolveThreadCount(value, processors));

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("four")]
    [InlineData("2.5")]
    [InlineData("257")]
    [InlineData("99999999999")]
    public void ResolveThreadCount_RejectsBadValues(string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => WorkerPool.ResolveThreadCount(value, 4));
        Assert.Contains("GANDSL_CPU_THREADS", ex.Message);
    }

    [Fact]
    public void Shared_IsOnePoolThatIgnoresDispose()
    {
        var shared = WorkerPool.Shared;
        Assert.Same(shared, WorkerPool.Shared);
        Assert.InRange(shared.ThreadCount, 1, 256);
        shared.Dispose();
        var counter = new Counter();
        shared.For(100, counter);
        Assert.Equal(100, counter.Items);
    }
}
