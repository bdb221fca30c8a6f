using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>How to encode one text.</summary>
/// <param name="AddSpecialTokens">Whether the post-processor's special tokens (BOS, [CLS]/[SEP]) are added.</param>
/// <param name="MaxTokens">Token limit, special tokens included; 0 = no limit.</param>
/// <param name="Truncation">What to do over the limit.</param>
/// <param name="WithOffsets">Whether token spans are computed.</param>
public readonly record struct EncodeSettings(bool AddSpecialTokens, int MaxTokens, TruncationMode Truncation, bool WithOffsets)
{
    /// <summary>Special tokens, no limit, no offsets: what Hugging Face's <c>encode(text)</c> does.</summary>
    public static EncodeSettings Default => new(true, 0, TruncationMode.None, false);
}
