using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator
{
    /// <summary>Names as generated code writes them: identifiers escaped where they are keywords, hint names in the characters Roslyn allows.</summary>
    internal static class Identifiers
    {
        /// <summary><paramref name="name"/> as an identifier in code: <c>@class</c> for the type named class.</summary>
        public static string Escape(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>The namespace for a <c>namespace</c> declaration (each part escaped), or null for the global one.</summary>
        public static string? Namespace(INamespaceSymbol symbol)
        {
            if (symbol.IsGlobalNamespace)
            {
                return null;
            }

            var parts = new System.Collections.Generic.List<string>();
            for (var n = symbol; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace)
            {
                parts.Add(Escape(n.Name));
            }

            parts.Reverse();
            return string.Join(".", parts);
        }

        /// <summary>
        /// A hint name from a type's full name: the escapes' '@' dropped (<c>@class</c> and <c>class</c> are one name), ASCII letters,
        /// digits, '_' and '.' kept, and any other character written as _uXXXX, so every name gives a distinct valid hint.
        /// </summary>
        public static string HintName(string fullName)
        {
            var text = new StringBuilder(fullName.Length + 8);
            foreach (char c in fullName.Where(c => c != '@'))
            {
                if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.')
                {
                    text.Append(c);
                }
                else
                {
                    text.Append("_u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            return text.Append(".g.cs").ToString();
        }
    }
}
