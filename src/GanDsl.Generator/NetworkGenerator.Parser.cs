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

                if (wellFormed)
                {
                    CheckOrder(models, layers.Select(l => l.Syntax).ToList(), type.Name, classLocation, diagnostics);
                }

                var model = wellFormed && diagnostics.Count == 0
                    ? new NetworkModel(
                        type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
                        type.Name,
                        new EquatableArray<LayerModel>(models))
                    : null;
                return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics));
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

                switch (name)
                {
                    case "Input":
                    {
                        int features = IntArgument(data, 0);
                        if (features <= 0)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, location, $"Input({features})", network, "features", features));
                        }

                        return new LayerModel(LayerKind.Input, features, false, ActivationKind.None, 0f);
                    }

                    case "Dense":
                    {
                        int units = IntArgument(data, 0);
                        if (units <= 0)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, location, $"Dense({units})", network, "units", units));
                        }

                        bool bias = true;
                        foreach (var named in data.NamedArguments)
                        {
                            if (named.Key == "Bias" && named.Value.Value is bool b)
                            {
                                bias = b;
                            }
                        }

                        return new LayerModel(LayerKind.Dense, units, bias, ActivationKind.None, 0f);
                    }

                    case "Relu":
                        return Activation(ActivationKind.Relu, 0f);
                    case "Tanh":
                        return Activation(ActivationKind.Tanh, 0f);
                    case "Sigmoid":
                        return Activation(ActivationKind.Sigmoid, 0f);
                    case "LeakyRelu":
                    {
                        float slope = data.ConstructorArguments.Length > 0 && data.ConstructorArguments[0].Value is float s ? s : 0.2f;
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

                static LayerModel Activation(ActivationKind kind, float slope) => new(LayerKind.Activation, 0, false, kind, slope);
            }

            private static void CheckOrder(List<LayerModel> layers, List<AttributeSyntax> syntax, string network, Location classLocation, List<DiagnosticInfo> diagnostics)
            {
                int input = layers.FindIndex(l => l.Kind == LayerKind.Input);
                if (input < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, classLocation, network));
                }
                else if (input > 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputNotFirst, syntax[input].GetLocation(), network, Describe(layers[0])));
                }

                for (int i = 0; i < layers.Count; i++)
                {
                    if (layers[i].Kind != LayerKind.Activation)
                    {
                        continue;
                    }

                    var previous = i > 0 ? layers[i - 1] : null;
                    if (previous?.Kind != LayerKind.Dense)
                    {
                        string after = previous is null ? " (it is the first attribute)"
                            : previous.Kind == LayerKind.Input ? " (an Input has nothing to activate)"
                            : $" (it follows {Describe(previous)}; one activation per layer)";
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationWithoutLayer, syntax[i].GetLocation(), Describe(layers[i]), network, after));
                    }
                }

                if (input >= 0 && !layers.Any(l => l.Kind == LayerKind.Dense))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, classLocation, network));
                }
            }

            private static string Describe(LayerModel layer) => layer.Kind switch
            {
                LayerKind.Input => $"Input({layer.Size})",
                LayerKind.Dense => $"Dense({layer.Size})",
                _ => layer.Activation == ActivationKind.LeakyRelu ? $"LeakyRelu({Format.Float(layer.Slope)})" : layer.Activation.ToString(),
            };

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
