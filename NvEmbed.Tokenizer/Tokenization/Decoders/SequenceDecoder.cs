namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>Applies decoders in order.</summary>
public sealed class SequenceDecoder(IReadOnlyList<IDecoder> decoders) : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        foreach (var decoder in decoders)
        {
            tokens = decoder.Decode(tokens);
        }

        return tokens;
    }
}
