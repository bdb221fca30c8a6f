namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The Fuse decoder: joins all tokens into one string.</summary>
public sealed class FuseDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}
