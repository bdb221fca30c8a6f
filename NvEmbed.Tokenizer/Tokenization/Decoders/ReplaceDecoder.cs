namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The Replace decoder: replaces a string in each token.</summary>
public sealed class ReplaceDecoder(string pattern, string content) : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return tokens.ConvertAll(t => t.Replace(pattern, content, StringComparison.Ordinal));
    }
}
