using System.Text.RegularExpressions;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The Replace normalizer: every match of a string or regex becomes <c>content</c>, spanning the match's last code point (as Hugging Face does).</summary>
public sealed class ReplaceNormalizer(Regex pattern, string content) : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Apply(text, pattern, content);
    }

    internal static NormalizedText Apply(NormalizedText text, Regex pattern, string content)
    {
        var source = text.ToString();
        var match = pattern.Match(source);
        if (!match.Success)
        {
            return text;
        }

        var output = new NormalizedText(source.Length + 8);
        var last = 0;
        for (; match.Success; match = match.NextMatch())
        {
            if (match.Length == 0)
            {
                continue;
            }

            output.AppendFrom(text, last, match.Index - last);
            // As in Hugging Face, the content is inserted after the match is removed, so it takes the span of
            // the match's last code point.
            var lastUnit = match.Index + match.Length - 1;
            if (lastUnit > match.Index && char.IsLowSurrogate(source[lastUnit]) && char.IsHighSurrogate(source[lastUnit - 1]))
            {
                lastUnit--;
            }

            var (start, end) = text.SpanOf(lastUnit, match.Index + match.Length - lastUnit);
            RuneMapper.Append(output, content, start, end);
            last = match.Index + match.Length;
        }

        output.AppendFrom(text, last, source.Length - last);
        return output;
    }
}
