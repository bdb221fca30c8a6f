namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>Applies normalizers in order.</summary>
public sealed class SequenceNormalizer(IReadOnlyList<INormalizer> normalizers) : INormalizer
{
    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        foreach (var normalizer in normalizers)
        {
            text = normalizer.Normalize(text);
        }

        return text;
    }
}
