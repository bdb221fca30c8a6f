using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>Helpers for normalizers that map each code point to zero or more code points.</summary>
internal static class RuneMapper
{
    /// <summary>Calls <paramref name="map"/> for each code point of <paramref name="text"/>; it appends the replacement to the output with the code point's span.</summary>
    public static NormalizedText Map(NormalizedText text, Action<Rune, int, int, NormalizedText> map)
    {
        var output = new NormalizedText(text.Length + 8);
        var chars = text.Chars;
        for (var i = 0; i < chars.Length;)
        {
            var cp = UnicodeClass.CodePointAt(chars, i, out var len);
            var (start, end) = text.SpanOf(i, len);
            map(new Rune(cp), start, end, output);
            i += len;
        }

        return output;
    }

    /// <summary>Appends <paramref name="rune"/> with the span [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static void Append(NormalizedText output, Rune rune, int start, int end)
    {
        Span<char> buffer = stackalloc char[2];
        var written = rune.EncodeToUtf16(buffer);
        for (var k = 0; k < written; k++)
        {
            output.Append(buffer[k], start, end);
        }
    }

    /// <summary>Appends <paramref name="text"/>, every unit with the span [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static void Append(NormalizedText output, ReadOnlySpan<char> text, int start, int end)
    {
        foreach (var c in text)
        {
            output.Append(c, start, end);
        }
    }
}
