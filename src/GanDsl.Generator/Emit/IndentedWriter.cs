using System.Text;

namespace GanDsl.Generator
{
    /// <summary>Builds source text line by line with four-space indentation and '\n' line ends.</summary>
    internal sealed class IndentedWriter
    {
        private readonly StringBuilder _text = new();
        private int _depth;

        public IndentedWriter Line(string line = "")
        {
            if (line.Length > 0)
            {
                _text.Append(' ', _depth * 4).Append(line);
            }

            _text.Append('\n');
            return this;
        }

        /// <summary>Writes <paramref name="header"/> and an opening brace, then indents.</summary>
        public IndentedWriter Open(string header)
        {
            Line(header);
            Line("{");
            _depth++;
            return this;
        }

        /// <summary>Dedents and writes a closing brace (plus an optional suffix such as ';').</summary>
        public IndentedWriter Close(string suffix = "")
        {
            _depth--;
            return Line("}" + suffix);
        }

        public IndentedWriter Indent()
        {
            _depth++;
            return this;
        }

        public IndentedWriter Dedent()
        {
            _depth--;
            return this;
        }

        public override string ToString() => _text.ToString();
    }
}
