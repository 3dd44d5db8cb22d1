using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GanDsl.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator
{
    public sealed partial class NetworkGenerator
    {
        private const string LayerAttributeName = "GanDsl.LayerAttribute";
        private const string GradientPenaltyAttributeName = "GanDsl.GradientPenaltyAttribute";
        private const string InitializationAttributeName = "GanDsl.InitializationAttribute";

        // WeightInit's members, by value: PyTorch, Keras, Dcgan.
        private static readonly string[] InitializationSchemes = { "PyTorch", "Keras", "Dcgan" };

        /// <summary>Symbols to a <see cref="NetworkModel"/>, checking shapes; every problem becomes a diagnostic.</summary>
        internal static class Parser
        {
            /// <summary>Cheap syntactic filter: a class with at least one attribute.</summary>
            public static bool IsCandidate(SyntaxNode node) =>
                node is ClassDeclarationSyntax { AttributeLists.Count: > 0 };

            /// <summary>Test hook: called with each candidate type's name, so tests can make parsing fail and see GAN0099.</summary>
            internal static Action<string>? OnParse { get; set; }

            public static ParseResult? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
            {
                var declaration = (ClassDeclarationSyntax)context.Node;
                if (context.SemanticModel.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol type)
                {
                    return null;
                }

                try
                {
                    OnParse?.Invoke(type.Name);
                    return ParseNetwork(declaration, type, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception e)
                {
                    // The generator must never throw (an escaping exception is CS8785 and a confusing build).
                    var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, declaration.Identifier.GetLocation(), type.Name, e.GetType().Name + ": " + e.Message);
                    return new ParseResult(null, new EquatableArray<DiagnosticInfo>(new[] { diagnostic }));
                }
            }

            private static ParseResult? ParseNetwork(ClassDeclarationSyntax declaration, INamedTypeSymbol type, CancellationToken cancellationToken)
            {
                // Layer attributes from every partial declaration, in source order (never GetAttributes' order).
                var layers = new List<(AttributeData Data, AttributeSyntax Syntax, ClassDeclarationSyntax Owner)>();
                foreach (var data in type.GetAttributes())
                {
                    if (!IsLayerAttribute(data.AttributeClass) || data.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax)
                    {
                        continue;
                    }

                    if (syntax.Parent?.Parent is ClassDeclarationSyntax owner)
                    {
                        layers.Add((data, syntax, owner));
                    }
                }

                if (layers.Count == 0)
                {
                    return null;
                }

                var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).ToList();
                layers.Sort((a, b) =>
                {
                    int byDeclaration = declarations.IndexOf(a.Owner).CompareTo(declarations.IndexOf(b.Owner));
                    return byDeclaration != 0 ? byDeclaration : a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart);
                });

                // Several partial declarations each see the whole type: only the one holding the first layer reports.
                if (layers[0].Owner != declaration)
                {
                    return null;
                }

                var diagnostics = new List<DiagnosticInfo>();
                var classLocation = declaration.Identifier.GetLocation();
                CheckClass(declaration, type, classLocation, diagnostics);

                var split = layers.FirstOrDefault(l => l.Owner != declaration);
                if (split.Syntax is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SplitDeclarations, split.Syntax.GetLocation(), type.Name));
                }

                var models = new List<LayerModel>();
                bool wellFormed = true;
                foreach (var (data, syntax, _) in layers)
                {
                    var layer = ReadLayer(data, syntax, type.Name, diagnostics);
                    if (layer is null)
                    {
                        wellFormed = false;
                        continue;
                    }

                    models.Add(layer);
                }

                bool gradientPenalty = type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == GradientPenaltyAttributeName);
                string initialization = ReadInitialization(type, diagnostics, cancellationToken);
                if (wellFormed && diagnostics.Count == 0)
                {
                    Shapes.Check(models, layers.Select(l => l.Syntax.GetLocation()).ToList(), type.Name, classLocation, gradientPenalty, diagnostics);
                }

                var model = wellFormed && diagnostics.Count == 0
                    ? new NetworkModel(
                        type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
                        type.Name,
                        new EquatableArray<LayerModel>(models),
                        gradientPenalty)
                    {
                        Initialization = initialization,
                    }
                    : null;
                return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            // [Initialization(WeightInit.X)] on the class: the scheme's name, "PyTorch" when absent; a value
            // outside the enum (a cast integer) is GAN0023 at the attribute.
            private static string ReadInitialization(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
            {
                var data = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == InitializationAttributeName);
                if (data is null)
                {
                    return InitializationSchemes[0];
                }

                if (data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Value is int value && value >= 0 && value < InitializationSchemes.Length)
                {
                    return InitializationSchemes[value];
                }

                var location = data.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? Location.None;
                string written = data.ConstructorArguments.Length == 1 ? data.ConstructorArguments[0].Value?.ToString() ?? "null" : "nothing";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownInitialization, location, type.Name, written));
                return InitializationSchemes[0];
            }

            private static void CheckClass(ClassDeclarationSyntax declaration, INamedTypeSymbol type, Location location, List<DiagnosticInfo> diagnostics)
            {
                if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, type.Name));
                }

                if (type.IsStatic)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StaticClass, location, type.Name));
                }

                if (type.ContainingType is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedClass, location, type.Name, type.ContainingType.Name));
                }

                if (type.TypeParameters.Length > 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericClass, location, type.Name));
                }

                // The generated part supplies the base class; a user base type would conflict (CS0263).
                var baseType = type.BaseType;
                if (baseType is { SpecialType: not SpecialType.System_Object, TypeKind: not TypeKind.Error } && baseType.ToDisplayString() != "GanDsl.Network")
                {
                    var written = type.DeclaringSyntaxReferences
                        .Select(r => r.GetSyntax())
                        .OfType<ClassDeclarationSyntax>()
                        .Select(d => d.BaseList?.Types.FirstOrDefault())
                        .FirstOrDefault(t => t is not null);
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HasBaseClass, written?.GetLocation() ?? location, type.Name, baseType.ToDisplayString()));
                }
            }

            private static LayerModel? ReadLayer(AttributeData data, AttributeSyntax syntax, string network, List<DiagnosticInfo> diagnostics)
            {
                var location = syntax.GetLocation();
                string name = data.AttributeClass!.Name;
                if (name.EndsWith("Attribute", StringComparison.Ordinal))
                {
                    name = name.Substring(0, name.Length - "Attribute".Length);
                }

                // A constructor that did not bind is a compiler error already; say nothing more.
                if (data.AttributeConstructor is null)
                {
                    return null;
                }

                string text = syntax.ToString();
                bool Positive(string what, int value)
                {
                    if (value > 0)
                    {
                        return true;
                    }

                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, location, text, network, what, value));
                    return false;
                }

                switch (name)
                {
                    case "Input":
                    {
                        var shape = data.ConstructorArguments.Length == 3
                            ? new Shape(IntArgument(data, 0), IntArgument(data, 1), IntArgument(data, 2), true)
                            : Shape.Vector(IntArgument(data, 0));
                        _ = Positive(shape.Spatial ? "channels" : "features", shape.Channels) && Positive("height", shape.Height) && Positive("width", shape.Width);
                        return new LayerModel(LayerKind.Input) { Declared = shape, Text = text };
                    }

                    case "Dense":
                    {
                        int units = IntArgument(data, 0);
                        Positive("units", units);
                        return new LayerModel(LayerKind.Dense) { Size = units, Bias = NamedBool(data, "Bias", true), Text = text };
                    }

                    case "Conv2D":
                    case "ConvTranspose2D":
                    {
                        int filters = IntArgument(data, 0), kernel = IntArgument(data, 1), stride = IntArgument(data, 2);
                        _ = Positive("filters", filters) & Positive("kernel", kernel) & Positive("stride", stride);
                        int outputSize = NamedInt(data, "OutputSize", 0);
                        if (outputSize < 0)
                        {
                            Positive("OutputSize", outputSize);
                        }

                        return new LayerModel(name == "Conv2D" ? LayerKind.Conv2D : LayerKind.ConvTranspose2D)
                        {
                            Size = filters,
                            Kernel = kernel,
                            Stride = stride,
                            Padding = IntArgument(data, 3) == 1 ? Padding.Valid : Padding.Same,
                            Bias = NamedBool(data, "Bias", true),
                            OutputSize = outputSize,
                            Text = text,
                        };
                    }

                    case "BatchNorm":
                    {
                        float momentum = FloatArgument(data, 0, 0.1f), epsilon = FloatArgument(data, 1, 1e-5f);
                        if (!(momentum >= 0f && momentum <= 1f) || !(epsilon > 0f) || float.IsInfinity(epsilon))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchNorm, location, network, Format.Float(momentum), Format.Float(epsilon)));
                        }

                        return new LayerModel(LayerKind.BatchNorm) { Momentum = momentum, Epsilon = epsilon, Text = text };
                    }

                    case "Dropout":
                    {
                        float rate = FloatArgument(data, 0, 0f);
                        if (!(rate >= 0f && rate < 1f))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidRate, location, network, Format.Float(rate)));
                        }

                        return new LayerModel(LayerKind.Dropout) { Rate = rate, Text = text };
                    }

                    case "Reshape":
                    {
                        var shape = new Shape(IntArgument(data, 0), IntArgument(data, 1), IntArgument(data, 2), true);
                        _ = Positive("channels", shape.Channels) & Positive("height", shape.Height) & Positive("width", shape.Width);
                        return new LayerModel(LayerKind.Reshape) { Declared = shape, Text = text };
                    }

                    case "Flatten":
                        return new LayerModel(LayerKind.Flatten) { Text = text };

                    case "Condition":
                    {
                        int classes = IntArgument(data, 0), embedding = IntArgument(data, 1);
                        _ = Positive("classes", classes) & Positive("embedding", embedding);
                        return new LayerModel(LayerKind.Condition) { Size = classes, Embedding = embedding, Text = text };
                    }

                    case "Relu":
                        return Activation(ActivationKind.Relu, 0f);
                    case "Tanh":
                        return Activation(ActivationKind.Tanh, 0f);
                    case "Sigmoid":
                        return Activation(ActivationKind.Sigmoid, 0f);
                    case "LeakyRelu":
                    {
                        float slope = FloatArgument(data, 0, 0.2f);
                        if (float.IsNaN(slope) || float.IsInfinity(slope) || slope < 0f)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSlope, location, network, Format.Float(slope)));
                        }

                        return Activation(ActivationKind.LeakyRelu, slope);
                    }

                    default:
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedLayer, location, name, network));
                        return null;
                }

                LayerModel Activation(ActivationKind kind, float slope) =>
                    new(LayerKind.Activation) { Activation = kind, Slope = slope, Text = text };
            }

            private static bool NamedBool(AttributeData data, string name, bool fallback)
            {
                foreach (var named in data.NamedArguments)
                {
                    if (named.Key == name && named.Value.Value is bool value)
                    {
                        return value;
                    }
                }

                return fallback;
            }

            private static int NamedInt(AttributeData data, string name, int fallback)
            {
                foreach (var named in data.NamedArguments)
                {
                    if (named.Key == name && named.Value.Value is int value)
                    {
                        return value;
                    }
                }

                return fallback;
            }

            private static float FloatArgument(AttributeData data, int index, float fallback) =>
                data.ConstructorArguments.Length > index && data.ConstructorArguments[index].Value is float value ? value : fallback;

            private static int IntArgument(AttributeData data, int index) =>
                data.ConstructorArguments.Length > index && data.ConstructorArguments[index].Value is int value ? value : 0;

            private static bool IsLayerAttribute(INamedTypeSymbol? attribute)
            {
                for (var t = attribute?.BaseType; t is not null; t = t.BaseType)
                {
                    if (t.ToDisplayString() == LayerAttributeName)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }
}
