namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The BPEDecoder: the end-of-word suffix becomes a space (none after the last token).</summary>
public sealed class BpeDecoder(string suffix) : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var output = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            output.Add(tokens[i].Replace(suffix, i == tokens.Count - 1 ? string.Empty : " ", StringComparison.Ordinal));
        }

        return output;
    }
}
