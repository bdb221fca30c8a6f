using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>
/// BERT's normalizer: drops control characters and maps whitespace to spaces, puts spaces around CJK
/// ideographs, strips accents (NFD, then non-spacing marks removed) and lowercases.
/// </summary>
public sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool stripAccents, bool lowercase) : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (cleanText || handleChineseChars)
        {
            text = RuneMapper.Map(text, (rune, start, end, output) =>
            {
                if (cleanText)
                {
                    if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune))
                    {
                        return;
                    }

                    if (IsWhitespace(rune))
                    {
                        output.Append(' ', start, end);
                        return;
                    }
                }

                if (handleChineseChars && IsChineseChar(rune.Value))
                {
                    output.Append(' ', start, end);
                    RuneMapper.Append(output, rune, start, end);
                    output.Append(' ', start, end);
                    return;
                }

                RuneMapper.Append(output, rune, start, end);
            });
        }

        if (stripAccents)
        {
            text = RuneMapper.Map(UnicodeNormalizer.Apply(text, NormalizationForm.FormD), static (rune, start, end, output) =>
            {
                if (!Unicode8Categories.IsNonspacingMark(rune.Value))
                {
                    RuneMapper.Append(output, rune, start, end);
                }
            });
        }

        if (lowercase)
        {
            text = LowercaseNormalizer.Apply(text);
        }

        return text;
    }

    private static bool IsWhitespace(Rune rune) => rune.Value is '\t' or '\n' or '\r' or ' ' || Rune.IsWhiteSpace(rune);

    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
        {
            return false;
        }

        // NOTE: Hugging Face drops Cc, Cf, Co and Cs but keeps unassigned code points (checked against
        // tokenizers 0.23.2); Cf as of Unicode 8.0, see Unicode8Categories.
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate
            || Unicode8Categories.IsFormat(rune.Value);
    }

    private static bool IsChineseChar(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
