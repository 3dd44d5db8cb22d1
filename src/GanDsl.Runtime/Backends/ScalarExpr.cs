using System.Globalization;
using System.Text;
using GanDsl.Backends;

namespace GanDsl;

/// <summary>
/// A float computed where the kernels run from device scalars (one-float tensors), counters and constants: BEGAN's
/// <c>clamp(k + lambda (gamma L_real - L_fake), 0, 1)</c>, a learning rate that decays with the epoch counter. Built
/// once with operators (<c>a + 0.5f * b</c>, <see cref="Abs"/>, <see cref="Clamp"/>), then run as part of a
/// <see cref="ScalarProgram"/>: on the CPU it is evaluated in float, on a GPU it is printed as CUDA C; both compute the
/// same operations in the same order.
/// </summary>
public abstract class ScalarExpr
{
    private protected ScalarExpr()
    {
    }

    /// <summary>A constant.</summary>
    public static implicit operator ScalarExpr(float value) => new Constant(value);

    /// <summary>The sum.</summary>
    public static ScalarExpr operator +(ScalarExpr a, ScalarExpr b) => new Binary('+', a, b);

    /// <summary>The difference.</summary>
    public static ScalarExpr operator -(ScalarExpr a, ScalarExpr b) => new Binary('-', a, b);

    /// <summary>The product.</summary>
    public static ScalarExpr operator *(ScalarExpr a, ScalarExpr b) => new Binary('*', a, b);

    /// <summary>The quotient.</summary>
    public static ScalarExpr operator /(ScalarExpr a, ScalarExpr b) => new Binary('/', a, b);

    /// <summary>The negation.</summary>
    public static ScalarExpr operator -(ScalarExpr a) => new Negate(a);

    /// <summary>The value of a (1, 1) tensor (the first element of any tensor) when the program runs.</summary>
    public static ScalarExpr Read(Tensor scalar) => scalar.IsEmpty ? throw new ArgumentException("The tensor is empty (default).", nameof(scalar)) : new Load(scalar);

    /// <summary>A counter's value (as <see cref="CounterValue"/> gives it: scale times the counter plus offset) when the program runs, as a float.</summary>
    public static ScalarExpr Counter(CounterValue value) => new CounterRead(value);

    /// <summary>|x|.</summary>
    public static ScalarExpr Abs(ScalarExpr x) => new Call("abs", x, null);

    /// <summary>The smaller of the two.</summary>
    public static ScalarExpr Min(ScalarExpr a, ScalarExpr b) => new Call("min", a, b);

    /// <summary>The larger of the two.</summary>
    public static ScalarExpr Max(ScalarExpr a, ScalarExpr b) => new Call("max", a, b);

    /// <summary><paramref name="x"/> kept inside [<paramref name="low"/>, <paramref name="high"/>]: <c>min(max(x, low), high)</c>.</summary>
    public static ScalarExpr Clamp(ScalarExpr x, ScalarExpr low, ScalarExpr high) => Min(Max(x, low), high);

    /// <summary>The value, computed on the host in float from the tensors' and counters' host copies (the CPU backend).</summary>
    internal abstract float Evaluate();

    /// <summary>CUDA C for the value; <paramref name="tensor"/> and <paramref name="counter"/> name each operand's kernel argument.</summary>
    internal abstract void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter);

    /// <summary>Every tensor and counter the expression reads.</summary>
    internal abstract void Collect(List<Tensor> tensors, List<CounterValue> counters);

    private sealed class Constant(float value) : ScalarExpr
    {
        internal override float Evaluate() => value;

        internal override void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter) =>
            text.Append(Literal(value));

        internal override void Collect(List<Tensor> tensors, List<CounterValue> counters)
        {
        }

        private static string Literal(float v)
        {
            if (float.IsNaN(v))
            {
                return "__int_as_float(0x7fc00000)";
            }

            if (float.IsInfinity(v))
            {
                return v > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
            }

            string text = v.ToString("R", CultureInfo.InvariantCulture);
            return "(" + (text.Contains('.') || text.Contains('E') ? text : text + ".0") + "f)";
        }
    }

    private sealed class Load(Tensor scalar) : ScalarExpr
    {
        internal override float Evaluate() => scalar.Span[0];

        internal override void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter) =>
            text.Append('(').Append('*').Append(tensor(scalar)).Append(')');

        internal override void Collect(List<Tensor> tensors, List<CounterValue> counters) => tensors.Add(scalar);
    }

    private sealed class CounterRead(CounterValue value) : ScalarExpr
    {
        internal override float Evaluate() => value.Resolve();

        internal override void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter) =>
            text.Append("((float)").Append(counter(value)).Append(')');

        internal override void Collect(List<Tensor> tensors, List<CounterValue> counters) => counters.Add(value);
    }

    private sealed class Negate(ScalarExpr operand) : ScalarExpr
    {
        internal override float Evaluate() => -operand.Evaluate();

        internal override void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter)
        {
            text.Append("(-");
            operand.Print(text, tensor, counter);
            text.Append(')');
        }

        internal override void Collect(List<Tensor> tensors, List<CounterValue> counters) => operand.Collect(tensors, counters);
    }

    private sealed class Binary(char op, ScalarExpr left, ScalarExpr right) : ScalarExpr
    {
        internal override float Evaluate()
        {
            float a = left.Evaluate(), b = right.Evaluate();
            return op switch
            {
                '+' => a + b,
                '-' => a - b,
                '*' => a * b,
                _ => a / b,
            };
        }

        internal override void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter)
        {
            text.Append('(');
            left.Print(text, tensor, counter);
            text.Append(' ').Append(op).Append(' ');
            right.Print(text, tensor, counter);
            text.Append(')');
        }

        internal override void Collect(List<Tensor> tensors, List<CounterValue> counters)
        {
            left.Collect(tensors, counters);
            right.Collect(tensors, counters);
        }
    }

    // abs, min, max. min and max are written out, the same on both sides, so a NaN operand gives NaN (a clamp never
    // hides a diverged loss; CUDA's fminf and fmaxf would return the other operand).
    private sealed class Call(string function, ScalarExpr a, ScalarExpr? b) : ScalarExpr
    {
        internal override float Evaluate()
        {
            float x = a.Evaluate();
            if (function == "abs")
            {
                return MathF.Abs(x);
            }

            float y = b!.Evaluate();
            return function == "min" ? (float.IsNaN(x) || x < y ? x : y) : (float.IsNaN(x) || x > y ? x : y);
        }

        internal override void Print(StringBuilder text, Func<Tensor, string> tensor, Func<CounterValue, string> counter)
        {
            text.Append(function switch { "abs" => "fabsf(", "min" => "gandsl_min(", _ => "gandsl_max(" });
            a.Print(text, tensor, counter);
            if (b is not null)
            {
                text.Append(", ");
                b.Print(text, tensor, counter);
            }

            text.Append(')');
        }

        internal override void Collect(List<Tensor> tensors, List<CounterValue> counters)
        {
            a.Collect(tensors, counters);
            b?.Collect(tensors, counters);
        }
    }
}

/// <summary>One statement of a <see cref="ScalarProgram"/>: <c>target = value</c>, or <c>target += value</c>.</summary>
/// <param name="Target">A one-float tensor (a device scalar, a statistic's sum).</param>
/// <param name="Value">What it becomes, or what is added to it.</param>
/// <param name="Add">Add to the target (a statistic summed over steps) instead of overwriting it.</param>
public sealed record ScalarAssignment(Tensor Target, ScalarExpr Value, bool Add = false);

/// <summary>
/// Assignments to device scalars run in order as one launch (one thread on a GPU), each seeing the ones before it:
/// build it once, then <see cref="Backend.Evaluate"/> it every step. A captured step replays it.
/// </summary>
public sealed class ScalarProgram
{
    /// <summary>The program of <paramref name="assignments"/>, in order.</summary>
    public ScalarProgram(params ScalarAssignment[] assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        if (assignments.Length == 0)
        {
            throw new ArgumentException("A scalar program needs at least one assignment.", nameof(assignments));
        }

        foreach (var a in assignments)
        {
            ArgumentNullException.ThrowIfNull(a, nameof(assignments));
            ArgumentNullException.ThrowIfNull(a.Value, nameof(assignments));
            if (a.Target.IsEmpty)
            {
                throw new ArgumentException("An assignment's target is empty (default).", nameof(assignments));
            }
        }

        Assignments = [.. assignments];
        var tensors = new List<Tensor>();
        var counters = new List<CounterValue>();
        foreach (var a in Assignments)
        {
            tensors.Add(a.Target);
            a.Value.Collect(tensors, counters);
        }

        // Each distinct tensor and counter once, in order of first use: the CUDA kernel's arguments.
        Tensors = tensors.Distinct().ToArray();
        Counters = counters.Select(c => c.Counter).OfType<DeviceCounter>().Distinct().ToArray();
        if (Tensors.Count + Counters.Count > MaxOperands)
        {
            throw new ArgumentException($"A scalar program reads and writes at most {MaxOperands} tensors and counters together, not {Tensors.Count + Counters.Count}.", nameof(assignments));
        }
    }

    /// <summary>Most tensors and counters one program may touch.</summary>
    public const int MaxOperands = 24;

    /// <summary>The statements, in order.</summary>
    public IReadOnlyList<ScalarAssignment> Assignments { get; }

    /// <summary>The tensors it reads or writes, each once.</summary>
    internal IReadOnlyList<Tensor> Tensors { get; }

    /// <summary>The counters it reads, each once.</summary>
    internal IReadOnlyList<DeviceCounter> Counters { get; }

    /// <summary>Runs the statements on the host (the CPU backend's memory), in float.</summary>
    internal void EvaluateOnHost()
    {
        for (int i = 0; i < Assignments.Count; i++)
        {
            var a = Assignments[i];
            float value = a.Value.Evaluate();
            ref float target = ref a.Target.Span[0];
            target = a.Add ? target + value : value;
        }
    }

    /// <summary>The program as one CUDA kernel named <paramref name="name"/>: a float pointer per tensor, then a counter pointer per counter.</summary>
    internal string CudaSource(string name)
    {
        var text = new StringBuilder();
        text.Append("// A GanDsl scalar program: one thread runs its assignments in order.\n");
        text.Append("__device__ __forceinline__ float gandsl_min(float x, float y) { return x != x || x < y ? x : y; }\n");
        text.Append("__device__ __forceinline__ float gandsl_max(float x, float y) { return x != x || x > y ? x : y; }\n");
        text.Append("extern \"C\" __global__ void ").Append(name).Append('(');
        var parameters = Tensors.Select((_, i) => $"float* s{i}").Concat(Counters.Select((_, i) => $"const unsigned long long* c{i}"));
        text.Append(string.Join(", ", parameters)).Append(")\n{\n");
        text.Append("    if (blockIdx.x != 0 || threadIdx.x != 0) return;\n");
        string TensorName(Tensor t) => "s" + IndexOf(Tensors, t).ToString(CultureInfo.InvariantCulture);
        string CounterText(CounterValue c) => c.Counter is null
            ? $"{c.Offset.ToString(CultureInfo.InvariantCulture)}ull"
            : $"({c.Scale.ToString(CultureInfo.InvariantCulture)}ull * *c{IndexOf(Counters, c.Counter)} + {c.Offset.ToString(CultureInfo.InvariantCulture)}ull)";
        foreach (var a in Assignments)
        {
            text.Append("    *").Append(TensorName(a.Target)).Append(a.Add ? " += " : " = ");
            a.Value.Print(text, TensorName, CounterText);
            text.Append(";\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    private static int IndexOf<T>(IReadOnlyList<T> list, T item)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (EqualityComparer<T>.Default.Equals(list[i], item))
            {
                return i;
            }
        }

        throw new InvalidOperationException("An operand the program did not collect.");
    }
}
