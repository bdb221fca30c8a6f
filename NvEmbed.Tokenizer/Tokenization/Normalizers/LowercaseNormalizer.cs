using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The Lowercase normalizer: Unicode lowercase mapping per code point, as Rust's <c>char::to_lowercase</c>.</summary>
public sealed class LowercaseNormalizer : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text) => Apply(text);

    internal static NormalizedText Apply(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return RuneMapper.Map(text, static (rune, start, end, output) =>
        {
            // NOTE: U+0130 is the one code point whose full lowercase mapping is two code points (SpecialCasing.txt).
            if (rune.Value == 0x130)
            {
                RuneMapper.Append(output, "i\u0307", start, end);
                return;
            }

            RuneMapper.Append(output, Rune.ToLowerInvariant(rune), start, end);
        });
    }
}
