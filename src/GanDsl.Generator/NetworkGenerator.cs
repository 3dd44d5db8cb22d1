using System;
using GanDsl.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GanDsl.Generator
{
    /// <summary>
    /// Turns layer attributes on partial classes into networks: parse to equatable models (no
    /// symbols), check shapes, plan the arenas, emit one <c>{Namespace}.{Type}.g.cs</c> per network.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class NetworkGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps, for incremental-caching tests.</summary>
        public static class Steps
        {
            public const string Parse = "GanDsl.Parse";
            public const string Models = "GanDsl.Models";
            public const string Diagnostics = "GanDsl.Diagnostics";
        }

        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var results = context.SyntaxProvider
                .CreateSyntaxProvider(static (node, _) => Parser.IsCandidate(node), static (ctx, ct) => Parser.Parse(ctx, ct))
                .Where(static r => r is not null)
                .Select(static (r, _) => r!)
                .WithTrackingName(Steps.Parse);

            var models = results
                .Where(static r => r.Model is not null)
                .Select(static (r, _) => r.Model!)
                .WithTrackingName(Steps.Models);

            var diagnostics = results
                .Where(static r => r.Diagnostics.Count > 0)
                .Select(static (r, _) => r.Diagnostics)
                .WithTrackingName(Steps.Diagnostics);

            context.RegisterSourceOutput(diagnostics, static (spc, list) =>
            {
                foreach (var d in list)
                {
                    spc.ReportDiagnostic(d.ToDiagnostic());
                }
            });

            context.RegisterSourceOutput(models, static (spc, model) => Emit(spc, model));

            var stubs = results
                .Where(static r => r.Stub is not null)
                .Select(static (r, _) => r.Stub!);
            context.RegisterSourceOutput(stubs, static (spc, stub) =>
                spc.AddSource(stub.HintName, SourceText.From(CSharpEmitter.EmitStub(stub), System.Text.Encoding.UTF8)));
        }

        private static void Emit(SourceProductionContext context, NetworkModel model)
        {
            string source;
            try
            {
                source = CSharpEmitter.Emit(NetworkPlan.Create(model));
            }
            catch (Exception e)
            {
                // Planning works on a validated model and should not fail; if it does, say so instead of crashing the build.
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, model.Name, e.GetType().Name + ": " + e.Message));
                source = CSharpEmitter.EmitStub(new NetworkStub(model.Namespace, model.Name));
            }

            context.AddSource(model.HintName, SourceText.From(source, System.Text.Encoding.UTF8));
        }
    }
}
