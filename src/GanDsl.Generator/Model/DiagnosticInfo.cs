using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GanDsl.Generator.Model
{
    /// <summary>A source location as plain data (no syntax tree), so it can flow through cached pipeline steps.</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public static LocationInfo? From(Location? location) =>
            location is null || !location.IsInSource
                ? null
                : new LocationInfo(location.SourceTree!.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
    }

    /// <summary>A diagnostic as plain data: which descriptor, where, and its message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object?[] arguments) =>
            new(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(Array.ConvertAll(arguments, a => a?.ToString() ?? string.Empty)));

        public Diagnostic ToDiagnostic()
        {
            var descriptor = DiagnosticDescriptors.ById(Id);
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++)
            {
                args[i] = Arguments[i];
            }

            return Diagnostic.Create(descriptor, Location?.ToLocation(), args);
        }
    }
}
