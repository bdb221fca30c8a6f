namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The WordPiece decoder: continuation tokens lose their prefix and join the previous token; others get a space; optional cleanup of spaces before punctuation.</summary>
public sealed class WordPieceDecoder(string prefix, bool cleanup) : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var output = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (i != 0)
            {
                token = token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;
            }

            if (cleanup)
            {
                token = Cleanup(token);
            }

            output.Add(token);
        }

        return output;
    }

    /// <summary>Hugging Face's <c>clean_up_tokenization_spaces</c>.</summary>
    internal static string Cleanup(string text) =>
        text.Replace(" .", ".", StringComparison.Ordinal)
            .Replace(" ?", "?", StringComparison.Ordinal)
            .Replace(" !", "!", StringComparison.Ordinal)
            .Replace(" ,", ",", StringComparison.Ordinal)
            .Replace(" ' ", "'", StringComparison.Ordinal)
            .Replace(" n't", "n't", StringComparison.Ordinal)
            .Replace(" 'm", "'m", StringComparison.Ordinal)
            .Replace(" do not", " don't", StringComparison.Ordinal)
            .Replace(" 's", "'s", StringComparison.Ordinal)
            .Replace(" 've", "'ve", StringComparison.Ordinal)
            .Replace(" 're", "'re", StringComparison.Ordinal);
}
