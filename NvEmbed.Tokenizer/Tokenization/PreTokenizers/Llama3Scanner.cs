namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>
/// A hand-written matcher for the pre-tokenizer pattern of Llama 3 (and OpenAI's cl100k):
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
/// Every position matches one of the alternatives, so the matches tile the text; <see cref="NextEnd(ReadOnlySpan{char}, int)"/> returns
/// where the match starting at a position ends, trying the alternatives in order as a backtracking engine does.
/// </summary>
/// <remarks>
/// Measured against <see cref="System.Text.RegularExpressions.Regex"/> (compiled and non-backtracking) by the
/// <c>bench</c> command; this scanner is exact for supplementary-plane letters too, where .NET's regex sees
/// two surrogate halves instead of one letter.
/// </remarks>
public static class Llama3Scanner
{
    /// <summary>The pattern string as tokenizer.json spells it.</summary>
    public const string Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The end (exclusive) of the match that starts at <paramref name="start"/> (which must be inside the text).</summary>
    public static int NextEnd(ReadOnlySpan<char> text, int start) => NextEnd<char, Utf16>(text, start);

    /// <summary>
    /// The same matcher over UTF-8: the end (exclusive, in bytes) of the match that starts at byte
    /// <paramref name="start"/>. The text must be valid UTF-8 and <paramref name="start"/> a character boundary.
    /// </summary>
    public static int NextEnd(ReadOnlySpan<byte> text, int start) => NextEnd<byte, Utf8>(text, start);

    // NOTE: one matcher for both encodings. TText is a struct, so the JIT compiles a copy per encoding with the
    // decoder's calls inlined: as fast as the two hand-made copies it replaced (measured with the encode command).
    private static int NextEnd<TUnit, TText>(ReadOnlySpan<TUnit> text, int start)
        where TUnit : unmanaged
        where TText : struct, ICodeUnits<TUnit>
    {
        var n = text.Length;
        var c = TText.Unit(text, start);

        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'' && start + 1 < n)
        {
            var c1 = TText.Unit(text, start + 1) | 0x20;
            if (c1 is 's' or 't' or 'm' or 'd')
            {
                return start + 2;
            }

            if (start + 2 < n)
            {
                var c2 = TText.Unit(text, start + 2) | 0x20;
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
                {
                    return start + 3;
                }
            }
        }

        var cp = TText.DecodeAt(text, start, out var len);
        var cls = UnicodeClass.Of(cp);

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if ((cls & UnicodeClass.Letter) != 0)
        {
            return LetterRun<TUnit, TText>(text, start + len);
        }

        if ((cls & UnicodeClass.Number) == 0 && c != '\r' && c != '\n' && start + len < n)
        {
            var next = TText.DecodeAt(text, start + len, out var nextLen);
            if ((UnicodeClass.Of(next) & UnicodeClass.Letter) != 0)
            {
                return LetterRun<TUnit, TText>(text, start + len + nextLen);
            }
        }

        // \p{N}{1,3}
        if ((cls & UnicodeClass.Number) != 0)
        {
            var end = start + len;
            for (var k = 1; k < 3 && end < n; k++)
            {
                var d = TText.DecodeAt(text, end, out var dLen);
                if ((UnicodeClass.Of(d) & UnicodeClass.Number) == 0)
                {
                    break;
                }

                end += dLen;
            }

            return end;
        }

        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        {
            var p = start;
            if (c == ' ')
            {
                p++;
            }

            var q = p;
            while (q < n)
            {
                var s = TText.DecodeAt(text, q, out var sLen);
                if (UnicodeClass.Of(s) != 0)
                {
                    break;
                }

                q += sLen;
            }

            if (q > p)
            {
                while (q < n && TText.Unit(text, q) is '\r' or '\n')
                {
                    q++;
                }

                return q;
            }
        }

        // Only whitespace is left (every other character matched above).
        var runEnd = start;
        var lastNewline = -1;
        var lastStart = start;
        while (runEnd < n)
        {
            var s = TText.DecodeAt(text, runEnd, out var sLen);
            if ((UnicodeClass.Of(s) & UnicodeClass.Space) == 0)
            {
                break;
            }

            if (s is '\r' or '\n')
            {
                lastNewline = runEnd;
            }

            lastStart = runEnd;
            runEnd += sLen;
        }

        // \s*[\r\n]+ : the greedy \s* gives back until the last newline of the run.
        if (lastNewline >= 0)
        {
            return lastNewline + 1;
        }

        // \s+(?!\S) : at the end of the text the whole run; before a non-space, all but its last character.
        if (runEnd == n || lastStart == start)
        {
            return runEnd;
        }

        return lastStart;
    }

    private static int LetterRun<TUnit, TText>(ReadOnlySpan<TUnit> text, int index)
        where TUnit : unmanaged
        where TText : struct, ICodeUnits<TUnit>
    {
        while (index < text.Length)
        {
            var c = TText.Unit(text, index);
            if (c < 0x80)
            {
                if ((uint)((c | 0x20) - 'a') > 'z' - 'a')
                {
                    break;
                }

                index++;
                continue;
            }

            var cp = TText.DecodeAt(text, index, out var len);
            if ((UnicodeClass.Of(cp) & UnicodeClass.Letter) == 0)
            {
                break;
            }

            index += len;
        }

        return index;
    }

    /// <summary>How the matcher reads one encoding: a code unit as a number, and the character that starts at an index.</summary>
    private interface ICodeUnits<TUnit>
        where TUnit : unmanaged
    {
        static abstract int Unit(ReadOnlySpan<TUnit> text, int index);

        static abstract int DecodeAt(ReadOnlySpan<TUnit> text, int index, out int length);
    }

    private readonly struct Utf16 : ICodeUnits<char>
    {
        public static int Unit(ReadOnlySpan<char> text, int index) => text[index];

        public static int DecodeAt(ReadOnlySpan<char> text, int index, out int length) => UnicodeClass.CodePointAt(text, index, out length);
    }

    private readonly struct Utf8 : ICodeUnits<byte>
    {
        public static int Unit(ReadOnlySpan<byte> text, int index) => text[index];

        public static int DecodeAt(ReadOnlySpan<byte> text, int index, out int length) => Utf8Text.DecodeAt(text, index, out length);
    }
}
