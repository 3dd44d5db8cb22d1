using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GanDsl.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator
{
    public sealed partial class NetworkGenerator
    {
        internal static partial class Parser
        {
            // The type a [SharedWith(typeof(X))] names, as generated code writes it, when it is a class; else null.
            private static string? SharedOwnerType(List<(AttributeData Data, AttributeSyntax Syntax, TypeDeclarationSyntax Owner)> layers)
            {
                foreach (var (data, _, _) in layers)
                {
                    if (data.AttributeClass?.Name == "SharedWithAttribute" && data.ConstructorArguments.Length == 1
                        && data.ConstructorArguments[0].Value is INamedTypeSymbol { TypeKind: TypeKind.Class, IsUnboundGenericType: false } owner)
                    {
                        return owner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                    }
                }

                return null;
            }

            /// <summary>
            /// The layers between [SharedWith(typeof(Owner))] and [EndShared] (or the end), found in the owner: null when the
            /// network shares none, or when something is wrong, which is then a diagnostic at the marker.
            /// </summary>
            private static SharingModel? ReadSharing(
                INamedTypeSymbol type,
                List<LayerModel> models,
                List<AttributeData> attributes,
                List<Location> locations,
                bool gradientPenalty,
                List<DiagnosticInfo> diagnostics,
                CancellationToken cancellationToken)
            {
                int start = models.FindIndex(l => l.Kind == LayerKind.SharedWith);
                int end = models.FindIndex(l => l.Kind == LayerKind.EndShared);
                string network = type.Name;
                void NotHere(int at, string why) =>
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedLayersNotHere, locations[at], models[at].Text, network, why));

                // The markers: at most one of each (the compiler refuses two as CS0579 too), [EndShared] after [SharedWith].
                int second = models.FindIndex(start + 1, l => l.Kind == LayerKind.SharedWith);
                int secondEnd = end < 0 ? -1 : models.FindIndex(end + 1, l => l.Kind == LayerKind.EndShared);
                if (start < 0 || second >= 0 || secondEnd >= 0 || end >= 0 && end < start)
                {
                    if (second >= 0)
                    {
                        NotHere(second, "a network shares one run of layers, with one network");
                    }
                    else if (secondEnd >= 0)
                    {
                        NotHere(secondEnd, "a network shares one run of layers, so it has one [EndShared]");
                    }
                    else if (end >= 0)
                    {
                        NotHere(end, "[EndShared] ends the layers after a [SharedWith(typeof(...))], and none comes before it");
                    }

                    return null;
                }

                int first = start + 1, stop = end >= 0 ? end : models.Count;
                var location = locations[start];
                string text = models[start].Text;
                if (attributes[start].ConstructorArguments.Length != 1 || attributes[start].ConstructorArguments[0].Value is not ITypeSymbol named || named.TypeKind == TypeKind.Error)
                {
                    // typeof of something that does not bind is a compiler error already; the network is not generated.
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotANetworkToShare, location, text, network, text, "which is not a type"));
                    return null;
                }

                if (SymbolEqualityComparer.Default.Equals(named, type))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotANetworkToShare, location, text, network, named.Name,
                        "the network itself; it shares layers with another network (to run the same layers twice, use two activation contexts)"));
                    return null;
                }

                var ownerLayers = named is INamedTypeSymbol { TypeKind: TypeKind.Class } ownerType ? LayerAttributes(ownerType, cancellationToken) : new();
                if (ownerLayers.Count == 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotANetworkToShare, location, text, network, named.ToDisplayString(),
                        "which is not a GanDsl network: share layers with a partial class of this project that declares layer attributes"));
                    return null;
                }

                // The owner's layers as its own parse reads them; its errors are its own diagnostics, and stop the sharing here.
                var quiet = new List<DiagnosticInfo>();
                var owner = (INamedTypeSymbol)named;
                var ownerModels = new List<LayerModel>();
                foreach (var (data, syntax, _) in ownerLayers)
                {
                    if (ReadLayer(data, syntax, owner.Name, quiet) is { } layer)
                    {
                        ownerModels.Add(layer);
                    }
                    else
                    {
                        quiet.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, null, owner.Name, "unread layer"));
                    }
                }

                if (quiet.Count == 0)
                {
                    CheckClass(ownerLayers[0].Owner, owner, Location.None, quiet);
                    Shapes.Check(ownerModels, ownerLayers.Select(_ => Location.None).ToList(), owner.Name, Location.None, gradientPenalty: false, quiet);
                }

                if (quiet.Count > 0)
                {
                    NotHere(start, $"'{owner.Name}' has GanDsl errors of its own (see its diagnostics); fix them first");
                    return null;
                }

                if (ownerModels.Any(l => l.Kind == LayerKind.SharedWith))
                {
                    string theirs = ownerModels.First(l => l.Kind == LayerKind.SharedWith).Name;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotANetworkToShare, location, text, network, owner.Name,
                        $"which shares layers with '{theirs}' itself: name the network that owns the parameters"));
                    return null;
                }

                if (gradientPenalty || owner.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == GradientPenaltyAttributeName))
                {
                    NotHere(start, "[GradientPenalty]'s second-order pass does not take shared layers yet");
                    return null;
                }

                var run = models.GetRange(first, stop - first);
                if (run.Count == 0)
                {
                    NotHere(start, "no layers follow it before [EndShared]");
                    return null;
                }

                int head = run.FindIndex(l => l.Kind == LayerKind.Head);
                if (head >= 0)
                {
                    NotHere(first + head, "a head cannot be shared: share the trunk's layers, or the layers inside one head");
                    return null;
                }

                var shapes = Shapes.Infer(models, network, report: null);
                var ownerShapes = Shapes.Infer(ownerModels, owner.Name, report: null);
                var plan = NetworkPlan.Create(new NetworkModel(null, network, new EquatableArray<LayerModel>(models), false));
                if (!plan.Layers.Skip(first).Take(run.Count).Any(l => l.Parameters > 0))
                {
                    NotHere(start, "the layers shared have no parameters; share layers that learn (Dense, convolutions, BatchNorm, ...)");
                    return null;
                }

                if (!plan.Layers.Take(first).Concat(plan.Layers.Skip(stop)).Any(l => l.Parameters > 0))
                {
                    NotHere(start, $"every layer with parameters is shared, so the network is '{owner.Name}' itself: use that one (in two activation contexts to run it twice)");
                    return null;
                }

                // Where the run is in the owner: where Layer says, else the one place with the same layers on the same input.
                var input = shapes[first - 1]!;
                int asked = models[start].Size;
                int at;
                if (asked >= 0)
                {
                    if (asked < 1 || asked + run.Count > ownerModels.Count)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedLayersDiffer, location, text, network, owner.Name,
                            $"Layer = {asked} leaves no room for {run.Count} layers in its {ownerModels.Count - 1} (rows 1 to {ownerModels.Count - 1} of its summary)"));
                        return null;
                    }

                    if (Mismatch(asked) is { } why)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedLayersDiffer, location, text, network, owner.Name, why.Text));
                        return null;
                    }

                    at = asked;
                }
                else
                {
                    var matches = Enumerable.Range(1, System.Math.Max(0, ownerModels.Count - run.Count)).Where(k => Mismatch(k) is null).ToList();
                    if (matches.Count == 0)
                    {
                        // Say where the closest run departs: the candidate that matches longest.
                        var closest = Enumerable.Range(1, System.Math.Max(0, ownerModels.Count - run.Count))
                            .Select(k => Mismatch(k)!.Value)
                            .OrderByDescending(m => m.Matched)
                            .Select(m => m.Text)
                            .DefaultIfEmpty($"it has {ownerModels.Count - 1} layers, fewer than the {run.Count} shared here")
                            .First();
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedLayersDiffer, location, text, network, owner.Name, closest));
                        return null;
                    }

                    if (matches.Count > 1)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SharedLayersAmbiguous, location, text, network, owner.Name,
                            string.Join(", ", matches), matches[0]));
                        return null;
                    }

                    at = matches[0];
                }

                var ownerPlan = NetworkPlan.Create(new NetworkModel(null, owner.Name, new EquatableArray<LayerModel>(ownerModels), false));
                var firstWithParameters = ownerPlan.Layers.Skip(at).Take(run.Count).First(l => l.Parameters > 0);
                long offset = ownerPlan.Parameters[firstWithParameters.WeightIndex].Offset;
                return new SharingModel(owner.Name, owner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), first, stop, offset);

                // Why the owner's layers from k on are not the run (how many matched first), or null when they are.
                (int Matched, string Text)? Mismatch(int k)
                {
                    if (!Equals(ownerShapes[k - 1], input))
                    {
                        return (0, $"the shared layers here take {input}, and its layer {k} ({ownerModels[k].Text}) takes {ownerShapes[k - 1]?.ToString() ?? "an unknown shape"}");
                    }

                    for (int j = 0; j < run.Count; j++)
                    {
                        if (ownerModels[k + j] with { Text = "" } != run[j] with { Text = "" })
                        {
                            return (j + 1, $"shared layer {j + 1} here is {run[j].Text}, and its layer {k + j} is {ownerModels[k + j].Text}");
                        }
                    }

                    return null;
                }
            }
        }
    }
}
