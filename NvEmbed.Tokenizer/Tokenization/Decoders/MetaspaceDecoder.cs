namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The Metaspace decoder: ▁ becomes a space; the first token loses a leading space unless the prepend scheme is "never".</summary>
public sealed class MetaspaceDecoder(char replacement, string prependScheme) : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var output = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i].Replace(replacement, ' ');
            if (i == 0 && prependScheme != "never" && token.StartsWith(' '))
            {
                token = token[1..];
            }

            output.Add(token);
        }

        return output;
    }
}
