namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>A tokenizer.json normalizer: rewrites text, keeping each unit's span in the original.</summary>
public interface INormalizer
{
    /// <summary>Returns the normalized form of <paramref name="text"/> (which it may modify or return).</summary>
    NormalizedText Normalize(NormalizedText text);
}
