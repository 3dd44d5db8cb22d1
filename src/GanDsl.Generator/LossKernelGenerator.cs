using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GanDsl.Generator
{
    /// <summary>
    /// Writes the runtime's loss kernels: for the partial class marked <c>[GenerateLossKernels]</c> (one, in
    /// GanDsl.Runtime), every <see cref="LossMath"/> formula as a C# loop and as a CUDA kernel. Networks never need it;
    /// the attribute is internal to the runtime, so user projects never trigger it.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class LossKernelGenerator : IIncrementalGenerator
    {
        /// <summary>The marker attribute's metadata name.</summary>
        public const string AttributeName = "GanDsl.Backends.GenerateLossKernelsAttribute";

        /// <summary>Tracking name of the pipeline step, for incremental-caching tests.</summary>
        public const string Step = "GanDsl.LossKernels";

        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var targets = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    AttributeName,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (ctx, _) => (Namespace: Identifiers.Namespace(ctx.TargetSymbol.ContainingNamespace), Name: ctx.TargetSymbol.Name))
                .WithTrackingName(Step);

            context.RegisterSourceOutput(targets, static (spc, target) =>
            {
                string source;
                try
                {
                    source = LossEmitter.Emit(target.Namespace, target.Name);
                }
                catch (Exception e)
                {
                    spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, target.Name, e.GetType().Name + ": " + e.Message));
                    return;
                }

                string hint = Identifiers.HintName((target.Namespace is null ? "" : target.Namespace + ".") + target.Name);
                spc.AddSource(hint, SourceText.From(source, System.Text.Encoding.UTF8));
            });
        }
    }
}
