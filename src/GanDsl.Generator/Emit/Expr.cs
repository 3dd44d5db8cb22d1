using System;

namespace GanDsl.Generator
{
    /// <summary>
    /// A tiny expression language for elementwise math. Each activation's forward and derivative is
    /// written once as an <see cref="Expr"/> (see <see cref="ActivationMath"/>) and printed by every
    /// emitter: C# vectors and scalars for the CPU, CUDA C for the GPU. So the backends cannot drift.
    /// </summary>
    internal abstract class Expr
    {
        public static Expr Var(string name) => new VarExpr(name);

        public static Expr Lit(float value) => new LitExpr(value);

        public static Expr Exp(Expr x) => new CallExpr(MathFunction.Exp, x);

        public static Expr Tanh(Expr x) => new CallExpr(MathFunction.Tanh, x);

        public static Expr Log(Expr x) => new CallExpr(MathFunction.Log, x);

        public static Expr Abs(Expr x) => new CallExpr(MathFunction.Abs, x);

        public static Expr Max(Expr a, Expr b) => new MaxExpr(a, b);

        /// <summary><c>left &gt; right ? whenTrue : whenFalse</c>.</summary>
        public static Expr IfGreater(Expr left, Expr right, Expr whenTrue, Expr whenFalse) => new SelectExpr(left, right, whenTrue, whenFalse);

        public static Expr operator +(Expr a, Expr b) => new BinaryExpr('+', a, b);

        public static Expr operator -(Expr a, Expr b) => new BinaryExpr('-', a, b);

        public static Expr operator *(Expr a, Expr b) => new BinaryExpr('*', a, b);

        public static Expr operator /(Expr a, Expr b) => new BinaryExpr('/', a, b);

        public static Expr operator -(Expr a) => new NegateExpr(a);

        public static implicit operator Expr(float value) => new LitExpr(value);

        public abstract string Print(ExprPrinter printer);
    }

    internal enum MathFunction
    {
        Exp,
        Tanh,
        Log,
        Abs,
    }

    internal sealed class VarExpr : Expr
    {
        public VarExpr(string name) => Name = name;

        public string Name { get; }

        public override string Print(ExprPrinter printer) => printer.Variable(Name);
    }

    internal sealed class LitExpr : Expr
    {
        public LitExpr(float value) => Value = value;

        public float Value { get; }

        public override string Print(ExprPrinter printer) => printer.Literal(Value);
    }

    internal sealed class BinaryExpr : Expr
    {
        public BinaryExpr(char op, Expr left, Expr right) => (Op, Left, Right) = (op, left, right);

        public char Op { get; }

        public Expr Left { get; }

        public Expr Right { get; }

        public override string Print(ExprPrinter printer) => printer.Binary(Op, Left.Print(printer), Right.Print(printer));
    }

    internal sealed class NegateExpr : Expr
    {
        public NegateExpr(Expr operand) => Operand = operand;

        public Expr Operand { get; }

        public override string Print(ExprPrinter printer) => printer.Negate(Operand.Print(printer));
    }

    internal sealed class CallExpr : Expr
    {
        public CallExpr(MathFunction function, Expr argument) => (Function, Argument) = (function, argument);

        public MathFunction Function { get; }

        public Expr Argument { get; }

        public override string Print(ExprPrinter printer) => printer.Call(Function, Argument.Print(printer));
    }

    internal sealed class MaxExpr : Expr
    {
        public MaxExpr(Expr a, Expr b) => (A, B) = (a, b);

        public Expr A { get; }

        public Expr B { get; }

        public override string Print(ExprPrinter printer) => printer.Max(A.Print(printer), B.Print(printer));
    }

    internal sealed class SelectExpr : Expr
    {
        public SelectExpr(Expr left, Expr right, Expr whenTrue, Expr whenFalse) =>
            (Left, Right, WhenTrue, WhenFalse) = (left, right, whenTrue, whenFalse);

        public Expr Left { get; }

        public Expr Right { get; }

        public Expr WhenTrue { get; }

        public Expr WhenFalse { get; }

        public override string Print(ExprPrinter printer) =>
            printer.IfGreater(Left.Print(printer), Right.Print(printer), WhenTrue.Print(printer), WhenFalse.Print(printer));
    }

    /// <summary>Turns expression nodes into source text of one target language.</summary>
    internal abstract class ExprPrinter
    {
        public virtual string Variable(string name) => name;

        public abstract string Literal(float value);

        public virtual string Binary(char op, string left, string right) => $"({left} {op} {right})";

        public virtual string Negate(string operand) => $"(-{operand})";

        public abstract string Call(MathFunction function, string argument);

        public abstract string Max(string a, string b);

        public abstract string IfGreater(string left, string right, string whenTrue, string whenFalse);
    }

    /// <summary>C# over <c>Vector256&lt;float&gt;</c> lanes, for the CPU kernels' main loops.</summary>
    internal sealed class CSharpVectorPrinter : ExprPrinter
    {
        public static readonly CSharpVectorPrinter Instance = new();

        private const string Vector = "global::System.Runtime.Intrinsics.Vector256";
        private const string SimdMath = "global::GanDsl.Backends.Cpu.SimdMath";

        public override string Literal(float value) =>
            value == 0f ? $"{Vector}<float>.Zero"
            : value == 1f ? $"{Vector}<float>.One"
            : $"{Vector}.Create({Format.FloatLiteral(value)})";

        public override string Call(MathFunction function, string argument) => function switch
        {
            MathFunction.Exp => $"{SimdMath}.Exp({argument})",
            MathFunction.Tanh => $"{SimdMath}.Tanh({argument})",
            MathFunction.Log => $"{Vector}.Log({argument})",
            MathFunction.Abs => $"{Vector}.Abs({argument})",
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        };

        public override string Max(string a, string b) => $"{Vector}.Max({a}, {b})";

        public override string IfGreater(string left, string right, string whenTrue, string whenFalse) =>
            $"{Vector}.ConditionalSelect({Vector}.GreaterThan({left}, {right}), {whenTrue}, {whenFalse})";
    }

    /// <summary>Scalar C#, for the elements left over after the vector loop; same functions as the vector lanes.</summary>
    internal sealed class CSharpScalarPrinter : ExprPrinter
    {
        public static readonly CSharpScalarPrinter Instance = new();

        private const string SimdMath = "global::GanDsl.Backends.Cpu.SimdMath";

        public override string Literal(float value) => Format.FloatLiteral(value);

        public override string Call(MathFunction function, string argument) => function switch
        {
            MathFunction.Exp => $"{SimdMath}.Exp({argument})",
            MathFunction.Tanh => $"{SimdMath}.Tanh({argument})",
            MathFunction.Log => $"global::System.Runtime.Intrinsics.Vector256.Log(global::System.Runtime.Intrinsics.Vector256.Create({argument})).GetElement(0)",
            MathFunction.Abs => $"global::System.MathF.Abs({argument})",
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        };

        public override string Max(string a, string b) => $"global::System.MathF.Max({a}, {b})";

        public override string IfGreater(string left, string right, string whenTrue, string whenFalse) =>
            $"({left} > {right} ? {whenTrue} : {whenFalse})";
    }

    /// <summary>
    /// Scalar C# with the runtime library's correctly rounded functions (<c>MathF.Exp</c>, <c>MathF.Log</c>), for the
    /// loss kernels: element for element the arithmetic the CPU backend has always done for its losses.
    /// </summary>
    internal sealed class CSharpMathPrinter : ExprPrinter
    {
        public static readonly CSharpMathPrinter Instance = new();

        private const string MathF = "global::System.MathF";

        public override string Literal(float value) => Format.FloatLiteral(value);

        public override string Call(MathFunction function, string argument) => function switch
        {
            MathFunction.Exp => $"{MathF}.Exp({argument})",
            MathFunction.Tanh => $"{MathF}.Tanh({argument})",
            MathFunction.Log => $"{MathF}.Log({argument})",
            MathFunction.Abs => $"{MathF}.Abs({argument})",
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        };

        public override string Max(string a, string b) => $"{MathF}.Max({a}, {b})";

        public override string IfGreater(string left, string right, string whenTrue, string whenFalse) =>
            $"({left} > {right} ? {whenTrue} : {whenFalse})";
    }
}
