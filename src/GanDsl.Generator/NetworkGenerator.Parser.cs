using System;
using System.Collections.Generic;
using System.Collections.Immutable;
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
        internal static partial class Parser
        {
            /// <summary>Cheap syntactic filter: a class or record with at least one attribute (a record is refused with GAN0024).</summary>
            public static bool IsCandidate(SyntaxNode node) =>
                node is ClassDeclarationSyntax { AttributeLists.Count: > 0 } or RecordDeclarationSyntax { AttributeLists.Count: > 0 };

            /// <summary>Test hook: called with each candidate type's name, so tests can make parsing fail and see GAN0099.</summary>
            internal static Action<string>? OnParse { get; set; }

            public static ParseResult? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
            {
                var declaration = (TypeDeclarationSyntax)context.Node;
                if (context.SemanticModel.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol type)
                {
                    return null;
                }

                try
                {
                    OnParse?.Invoke(type.Name);
                    return ParseNetwork(declaration, type, context.SemanticModel.Compilation, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception e)
                {
                    // The generator must never throw (an escaping exception is CS8785 and a confusing build).
                    var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, declaration.Identifier.GetLocation(), type.Name, e.GetType().Name + ": " + e.Message);
                    return new ParseResult(null, new EquatableArray<DiagnosticInfo>(new[] { diagnostic }), null);
                }
            }

            private static ParseResult? ParseNetwork(TypeDeclarationSyntax declaration, INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
            {
                var layers = LayerAttributes(type, cancellationToken);
                if (layers.Count == 0)
                {
                    return null;
                }

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

                // A class GanDsl can add a part to gets at least a placeholder with the constructor when its layers
                // have errors, so the build shows the GAN diagnostics and not the errors of code that uses the network.
                var stub = diagnostics.Count == 0 ? new NetworkStub(Identifiers.Namespace(type.ContainingNamespace), type.Name) : null;
                if (layers.Count > NetworkLimits.MaxLayers)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooManyLayers, classLocation, type.Name, Format.Count(layers.Count), Format.Count(NetworkLimits.MaxLayers)));
                    return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics), stub);
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
                var locations = layers.Select(l => l.Syntax.GetLocation()).ToList();
                if (wellFormed && diagnostics.Count == 0)
                {
                    Shapes.Check(models, locations, type.Name, classLocation, gradientPenalty, diagnostics);
                }

                // A network that shares layers takes the owner at construction: its placeholder part does too.
                if (stub is not null && SharedOwnerType(layers) is { } ownerType)
                {
                    stub = stub with { OwnerType = ownerType };
                }

                SharingModel? sharing = null;
                if (wellFormed && diagnostics.Count == 0)
                {
                    sharing = ReadSharing(type, models, layers.Select(l => l.Data).ToList(), locations, gradientPenalty, diagnostics, cancellationToken);
                }

                var model = wellFormed && diagnostics.Count == 0
                    ? new NetworkModel(
                        Identifiers.Namespace(type.ContainingNamespace),
                        type.Name,
                        new EquatableArray<LayerModel>(models),
                        gradientPenalty)
                    {
                        Initialization = initialization,
                        Sharing = sharing,
                    }
                    : null;
                var (conflict, stubbable) = CheckMembers(type, model, stub?.OwnerType ?? model?.Sharing?.OwnerType, compilation, diagnostics);
                if (conflict)
                {
                    model = null;
                    stub = stubbable ? stub : null;
                }

                return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics), model is null ? stub : null);
            }

            // Layer attributes from every partial declaration, in source order (never GetAttributes' order).
            private static List<(AttributeData Data, AttributeSyntax Syntax, TypeDeclarationSyntax Owner)> LayerAttributes(INamedTypeSymbol type, CancellationToken cancellationToken)
            {
                var layers = new List<(AttributeData Data, AttributeSyntax Syntax, TypeDeclarationSyntax Owner)>();
                foreach (var data in type.GetAttributes())
                {
                    if (!IsLayerAttribute(data.AttributeClass) || data.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax)
                    {
                        continue;
                    }

                    if (syntax.Parent?.Parent is TypeDeclarationSyntax owner)
                    {
                        layers.Add((data, syntax, owner));
                    }
                }

                var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).ToList();
                layers.Sort((a, b) =>
                {
                    int byDeclaration = declarations.IndexOf(a.Owner).CompareTo(declarations.IndexOf(b.Owner));
                    return byDeclaration != 0 ? byDeclaration : a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart);
                });
                return layers;
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

            // The names the placeholder part declares (besides its constructor).
            private static readonly string[] StubMembers = { "GanDslNotGenerated", "ForwardCore", "BackwardCore" };

            /// <summary>
            /// The user's own members against the generated part's: one with a name the generated part declares, the
            /// constructor (Backend, ulong), or a member that hides one of GanDsl.Network's (which generated code calls) is
            /// GAN0029 at the member, instead of a CS error in generated code. Says whether any conflicts, and whether the
            /// placeholder part still can be added.
            /// </summary>
            private static (bool Conflict, bool Stubbable) CheckMembers(INamedTypeSymbol type, NetworkModel? model, string? ownerType, Compilation compilation, List<DiagnosticInfo> diagnostics)
            {
                var own = type.GetMembers().Where(m => !m.IsImplicitlyDeclared).ToList();
                if (own.Count == 0)
                {
                    return (false, true);
                }

                var generated = new HashSet<string>(StubMembers);
                if (model is not null)
                {
                    generated.UnionWith(DeclaredMembers(CSharpEmitter.Emit(NetworkPlan.Create(model))));
                }

                var inherited = new HashSet<string>();
                var network = compilation.GetTypeByMetadataName("GanDsl.Network");
                foreach (var member in network?.GetMembers() ?? ImmutableArray<ISymbol>.Empty)
                {
                    if (member.DeclaredAccessibility != Accessibility.Private && !member.IsImplicitlyDeclared && member.CanBeReferencedByName)
                    {
                        inherited.Add(member.Name);
                    }
                }

                // The generated constructor: (Backend, ulong), or (Backend, Owner, ulong) for a network that shares layers.
                var expected = ownerType is null
                    ? new[] { "global::GanDsl.Backend", "ulong" }
                    : new[] { "global::GanDsl.Backend", ownerType, "ulong" };
                string signature = ownerType is null ? "(Backend, ulong)" : $"(Backend, {ownerType.Replace("global::", "")}, ulong)";
                bool conflict = false, stubbable = true;
                foreach (var member in own)
                {
                    string? why =
                        member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                            ? constructor.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).SequenceEqual(expected)
                                ? $"is the constructor {signature} that the generated part declares"
                                : null
                            : !member.CanBeReferencedByName ? null
                            : generated.Contains(member.Name) ? "the generated part declares too"
                            : inherited.Contains(member.Name) && !member.IsOverride ? $"hides GanDsl.Network.{member.Name}, which the generated code calls"
                            : null;
                    if (why is null)
                    {
                        continue;
                    }

                    conflict = true;
                    stubbable &= !(member is IMethodSymbol { MethodKind: MethodKind.Constructor } || Array.IndexOf(StubMembers, member.Name) >= 0);
                    string name = member is IMethodSymbol { MethodKind: MethodKind.Constructor } ? type.Name + signature : member.Name;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberConflict, member.Locations.FirstOrDefault(l => l.IsInSource), type.Name, name, why));
                }

                return (conflict, stubbable);
            }

            // The member names a generated part declares, read back from its text.
            private static IEnumerable<string> DeclaredMembers(string source)
            {
                var part = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().First();
                foreach (var member in part.Members)
                {
                    switch (member)
                    {
                        case MethodDeclarationSyntax method:
                            yield return method.Identifier.ValueText;
                            break;
                        case PropertyDeclarationSyntax property:
                            yield return property.Identifier.ValueText;
                            break;
                        case BaseFieldDeclarationSyntax field:
                            foreach (var variable in field.Declaration.Variables)
                            {
                                yield return variable.Identifier.ValueText;
                            }

                            break;
                        case BaseTypeDeclarationSyntax nested:
                            yield return nested.Identifier.ValueText;
                            break;
                    }
                }
            }

            private static void CheckClass(TypeDeclarationSyntax declaration, INamedTypeSymbol type, Location location, List<DiagnosticInfo> diagnostics)
            {
                if (type.IsRecord)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, location, type.Name, "record"));
                }

                var primary = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<TypeDeclarationSyntax>().FirstOrDefault(d => d.ParameterList is not null);
                if (primary is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PrimaryConstructor, primary.ParameterList!.GetLocation(), type.Name));
                }

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

                // A size must be positive and at most its limit (NetworkLimits), so every size computed from it fits.
                bool Within(string what, int value, int maximum)
                {
                    if (value <= 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, location, text, network, what, value));
                        return false;
                    }

                    if (value > maximum)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeTooLarge, location, text, network, what, Format.Count(value), Format.Count(maximum), ""));
                        return false;
                    }

                    return true;
                }

                bool Image(int channels, int height, int width) =>
                    Within("channels", channels, NetworkLimits.MaxWidth) && Within("height", height, NetworkLimits.MaxSide) && Within("width", width, NetworkLimits.MaxSide);

                switch (name)
                {
                    case "Input":
                    {
                        var shape = data.ConstructorArguments.Length == 3
                            ? new Shape(IntArgument(data, 0), IntArgument(data, 1), IntArgument(data, 2), true)
                            : Shape.Vector(IntArgument(data, 0));
                        _ = shape.Spatial ? Image(shape.Channels, shape.Height, shape.Width) : Within("features", shape.Channels, NetworkLimits.MaxWidth);
                        return new LayerModel(LayerKind.Input) { Declared = shape, Text = text };
                    }

                    case "Dense":
                    {
                        int units = IntArgument(data, 0);
                        Within("units", units, NetworkLimits.MaxWidth);
                        return new LayerModel(LayerKind.Dense) { Size = units, Bias = NamedBool(data, "Bias", true), Text = text };
                    }

                    case "Conv2D":
                    case "ConvTranspose2D":
                    {
                        int filters = IntArgument(data, 0), kernel = IntArgument(data, 1), stride = IntArgument(data, 2);
                        _ = Within("filters", filters, NetworkLimits.MaxWidth) & Within("kernel", kernel, NetworkLimits.MaxKernel) & Within("stride", stride, NetworkLimits.MaxKernel);
                        int outputSize = NamedInt(data, "OutputSize", 0);
                        if (outputSize != 0)
                        {
                            Within("OutputSize", outputSize, NetworkLimits.MaxSide);
                        }

                        int padding = IntArgument(data, 3);
                        if (padding is not (0 or 1))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, location, text, network, "Padding", padding, "Padding.Same or Padding.Valid"));
                        }

                        return new LayerModel(name == "Conv2D" ? LayerKind.Conv2D : LayerKind.ConvTranspose2D)
                        {
                            Size = filters,
                            Kernel = kernel,
                            Stride = stride,
                            Padding = padding == 1 ? Padding.Valid : Padding.Same,
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
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchNorm, location, network, $"momentum {Format.Float(momentum)} and ", Format.Float(epsilon), "BatchNorm"));
                        }

                        return new LayerModel(LayerKind.BatchNorm) { Momentum = momentum, Epsilon = epsilon, Text = text };
                    }

                    case "Upsample":
                    {
                        int factor = IntArgument(data, 0);
                        _ = Within("factor", factor, NetworkLimits.MaxKernel);
                        return new LayerModel(LayerKind.Upsample) { Factor = factor, Text = text };
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
                        Image(shape.Channels, shape.Height, shape.Width);
                        return new LayerModel(LayerKind.Reshape) { Declared = shape, Text = text };
                    }

                    case "Flatten":
                        return new LayerModel(LayerKind.Flatten) { Text = text };

                    case "Save":
                    case "Concat":
                    case "Add":
                    {
                        string? saved = data.ConstructorArguments.Length > 0 ? data.ConstructorArguments[0].Value as string : null;
                        if (!IsHeadName(saved))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHeadName, location, network, saved is null ? "null" : SymbolDisplay.FormatLiteral(saved, quote: true)));
                            return null;
                        }

                        var kind = name == "Save" ? LayerKind.Save : name == "Concat" ? LayerKind.Concat : LayerKind.Add;
                        return new LayerModel(kind) { Name = saved!, Text = text };
                    }

                    case "Head":
                    {
                        string? head = data.ConstructorArguments.Length > 0 ? data.ConstructorArguments[0].Value as string : null;
                        if (!IsHeadName(head))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHeadName, location, network, head is null ? "null" : SymbolDisplay.FormatLiteral(head, quote: true)));
                            return null;
                        }

                        return new LayerModel(LayerKind.Head) { Name = head!, Text = text };
                    }

                    case "Condition":
                    {
                        int classes = IntArgument(data, 0), embedding = IntArgument(data, 1);
                        _ = Within("classes", classes, NetworkLimits.MaxWidth) & Within("embedding", embedding, NetworkLimits.MaxWidth);
                        return new LayerModel(LayerKind.Condition) { Size = classes, Embedding = embedding, Text = text };
                    }

                    case "InstanceNorm":
                    {
                        float epsilon = FloatArgument(data, 1, 1e-5f);
                        if (!(epsilon > 0f) || float.IsInfinity(epsilon))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchNorm, location, network, "", Format.Float(epsilon), "InstanceNorm"));
                        }

                        return new LayerModel(LayerKind.InstanceNorm) { Affine = data.ConstructorArguments.Length > 0 && data.ConstructorArguments[0].Value is true, Epsilon = epsilon, Text = text };
                    }

                    case "SharedWith":
                    {
                        var owner = data.ConstructorArguments.Length > 0 ? data.ConstructorArguments[0].Value as ITypeSymbol : null;
                        return new LayerModel(LayerKind.SharedWith) { Name = owner?.Name ?? "", Size = NamedInt(data, "Layer", -1), Text = text };
                    }

                    case "EndShared":
                        return new LayerModel(LayerKind.EndShared) { Text = text };

                    case "PRelu":
                        return new LayerModel(LayerKind.PRelu) { PerChannel = data.ConstructorArguments.Length > 0 && data.ConstructorArguments[0].Value is true, Text = text };

                    case "ConditionMultiply":
                    {
                        int classes = IntArgument(data, 0);
                        Within("classes", classes, NetworkLimits.MaxWidth);
                        return new LayerModel(LayerKind.Condition) { Size = classes, Multiply = true, Text = text };
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

                    case "Elu":
                    {
                        float alpha = FloatArgument(data, 0, 1f);
                        if (float.IsNaN(alpha) || float.IsInfinity(alpha) || alpha < 0f)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidAlpha, location, network, Format.Float(alpha)));
                        }

                        return Activation(ActivationKind.Elu, alpha);
                    }

                    case "Selu":
                        return Activation(ActivationKind.Selu, 0f);

                    default:
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedLayer, location, name, network));
                        return null;
                }

                LayerModel Activation(ActivationKind kind, float slope) =>
                    new(LayerKind.Activation) { Activation = kind, Slope = slope, Text = text };
            }

            // A head's name: an identifier of ASCII letters, digits and underscores (it names the head in code and files).
            private static bool IsHeadName(string? name)
            {
                if (string.IsNullOrEmpty(name) || name!.Length > 64 || char.IsDigit(name[0]))
                {
                    return false;
                }

                foreach (char c in name)
                {
                    if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
                    {
                        return false;
                    }
                }

                return true;
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
