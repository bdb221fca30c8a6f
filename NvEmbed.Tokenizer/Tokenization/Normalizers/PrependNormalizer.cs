namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>The Prepend normalizer: puts a string before non-empty text (spanning its first character).</summary>
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
        RuneMapper.Append(output, prepend, text.StartOf(0), text.EndOf(0));
        output.AppendFrom(text, 0, text.Length);
        return output;
    }
}
