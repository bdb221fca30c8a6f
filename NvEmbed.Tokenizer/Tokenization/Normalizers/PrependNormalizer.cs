namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The Prepend normalizer: puts a string before non-empty text (spanning its first code point).</summary>
public sealed class PrependNormalizer(string prepend) : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }

        var output = new NormalizedText(text.Length + prepend.Length);
        UnicodeClass.CodePointAt(text.Chars, 0, out var first);
        var (start, end) = text.SpanOf(0, first);
        RuneMapper.Append(output, prepend, start, end);
        output.AppendFrom(text, 0, text.Length);
        return output;
    }
}
