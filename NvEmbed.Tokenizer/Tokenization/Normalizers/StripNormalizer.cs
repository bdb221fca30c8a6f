namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The Strip normalizer: removes whitespace at the left and/or right end.</summary>
public sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.Chars;
        var start = 0;
        var end = chars.Length;
        while (left && start < end && char.IsWhiteSpace(chars[start]))
        {
            start++;
        }

        while (right && end > start && char.IsWhiteSpace(chars[end - 1]))
        {
            end--;
        }

        return start == 0 && end == chars.Length ? text : text.Slice(start, end - start);
    }
}
