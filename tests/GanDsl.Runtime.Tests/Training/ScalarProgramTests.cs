using GanDsl.Backends;
using GanDsl.Backends.Cpu;

namespace GanDsl.Tests.Training;

/// <summary>Device scalars and scalar programs on the CPU: float arithmetic in order, counters, clamps, statistics added to.</summary>
public sealed class ScalarProgramTests : IDisposable
{
    private readonly CpuBackend _backend = new(1);

    [Fact]
    public void AssignmentsRunInOrderInFloat()
    {
        var memory = _backend.Allocate(4);
        var (k, real, fake, m) = (memory.View(0, 1, 1), memory.View(1, 1, 1), memory.View(2, 1, 1), memory.View(3, 1, 1));
        float[] start = [0.25f, 0.3f, 0.2f, 1f];
        _backend.Upload(start, memory.All);
        ScalarExpr K = ScalarExpr.Read(k), R = ScalarExpr.Read(real), F = ScalarExpr.Read(fake);

        // BEGAN's update and measure, with k read after its own assignment by the last statement.
        var program = new ScalarProgram(
            new ScalarAssignment(m, R + ScalarExpr.Abs(0.5f * R - F), Add: true),
            new ScalarAssignment(k, ScalarExpr.Clamp(K + 0.001f * (0.5f * R - F), 0f, 1f)),
            new ScalarAssignment(real, K * 2f));
        _backend.Evaluate(program);
        var values = memory.All.Span.ToArray();

        // The same operations in float at run time (not folded by the compiler).
        float k0 = start[0], r0 = start[1], f0 = start[2], m0 = start[3];
        float kExpected = MathF.Min(MathF.Max(k0 + 0.001f * (0.5f * r0 - f0), 0f), 1f);
        Assert.Equal(kExpected, values[0]);
        Assert.Equal(kExpected * 2f, values[1]);
        Assert.Equal(m0 + (r0 + MathF.Abs(0.5f * r0 - f0)), values[3]);

        // Clamped at both ends.
        _backend.Upload([0.9995f, 1f, 0f, 0f], memory.All);
        _backend.Evaluate(new ScalarProgram(new ScalarAssignment(k, ScalarExpr.Clamp(K + 0.001f * (R - F), 0f, 1f))));
        Assert.Equal(1f, memory.All.Span[0]);
        _backend.Evaluate(new ScalarProgram(new ScalarAssignment(k, ScalarExpr.Clamp(-K, 0f, 1f))));
        Assert.Equal(0f, memory.All.Span[0]);
    }

    [Fact]
    public void CountersAreReadWhenTheProgramRuns()
    {
        var memory = _backend.Allocate(1);
        using var epoch = _backend.CreateCounter(3);
        var program = new ScalarProgram(new ScalarAssignment(memory.View(0, 1, 1), ScalarExpr.Counter(epoch.Times(2, 1)) / 4f));
        _backend.Evaluate(program);
        Assert.Equal(7f / 4f, memory.All.Span[0]);
        _backend.AddToCounter(epoch, 2);
        _backend.Evaluate(program);
        Assert.Equal(11f / 4f, memory.All.Span[0]);
    }

    [Fact]
    public void ProgramsCheckTheirOperands()
    {
        Assert.Throws<ArgumentException>(() => new ScalarProgram());
        Assert.Throws<ArgumentException>(() => new ScalarProgram(new ScalarAssignment(default, 1f)));
        using var other = new CpuBackend(1);
        var foreign = other.Allocate(1);
        var e = Assert.Throws<ArgumentException>(() => _backend.Evaluate(new ScalarProgram(new ScalarAssignment(foreign.View(0, 1, 1), 1f))));
        Assert.Contains("belongs to", e.Message);
    }

    [Fact]
    public void TheCudaSourceNamesEachOperandOnce()
    {
        var memory = _backend.Allocate(2);
        var (a, b) = (memory.View(0, 1, 1), memory.View(1, 1, 1));
        using var counter = _backend.CreateCounter();
        var program = new ScalarProgram(new ScalarAssignment(a, ScalarExpr.Read(a) + ScalarExpr.Read(b) * ScalarExpr.Read(a) - ScalarExpr.Counter(counter)),
            new ScalarAssignment(b, 1f, Add: true));
        string source = program.CudaSource("gandsl_scalars");
        Assert.Contains("gandsl_scalars(float* s0, float* s1, const unsigned long long* c0)", source);
        Assert.Contains("*s0 = (((*s0) + ((*s1) * (*s0))) - ((float)(1ull * *c0 + 0ull)));", source);
        Assert.Contains("*s1 += (1.0f);", source);
    }

    public void Dispose() => _backend.Dispose();
}
