using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The StripAccents normalizer: removes non-spacing marks (usually after NFD).</summary>
public sealed class StripAccentsNormalizer : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text) => Apply(text);

    internal static NormalizedText Apply(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return RuneMapper.Map(text, static (rune, start, end, output) =>
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                RuneMapper.Append(output, rune, start, end);
            }
        });
    }
}
