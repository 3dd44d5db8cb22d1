using System.Globalization;

namespace GanDsl.Generator
{
    /// <summary>Numbers as the emitters print them: invariant culture, round-trippable.</summary>
    internal static class Format
    {
        /// <summary>Shortest round-trip text of <paramref name="value"/>, e.g. <c>0.2</c> or <c>1</c>.</summary>
        public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);

        /// <summary>A float literal valid in both C# and CUDA C, e.g. <c>0.2f</c>, <c>1.0f</c>, <c>1E-05f</c>.</summary>
        public static string FloatLiteral(float value)
        {
            string text = Float(value);
            if (text.IndexOf('.') < 0 && text.IndexOf('E') < 0)
            {
                text += ".0";
            }

            return text + "f";
        }

        /// <summary>An integer with thousands separators, e.g. <c>227,344</c>.</summary>
        public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
