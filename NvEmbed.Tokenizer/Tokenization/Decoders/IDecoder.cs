namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>A tokenizer.json decoder: rewrites the list of token strings (Hugging Face's <c>decode_chain</c>); the results are concatenated.</summary>
public interface IDecoder
{
    /// <summary>Returns the decoded strings of <paramref name="tokens"/>.</summary>
    List<string> Decode(List<string> tokens);
}
