namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The Nmt normalizer (SentencePiece's): drops some control characters and maps others, and odd spaces, to a space.</summary>
public sealed class NmtNormalizer : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return RuneMapper.Map(text, static (rune, start, end, output) =>
        {
            var cp = rune.Value;
            if (cp is (>= 0x1 and <= 0x8) or 0xB or (>= 0xE and <= 0x1F) or 0x7F or 0x8F or 0x9F)
            {
                return;
            }

            if (cp is 0x9 or 0xA or 0xC or 0xD or 0x1680 or (>= 0x200B and <= 0x200F) or 0x2028 or 0x2029 or 0x2581 or 0xFEFF or 0xFFFD)
            {
                output.Append(' ', start, end);
                return;
            }

            RuneMapper.Append(output, rune, start, end);
        });
    }
}
