namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>A tokenizer.json pre-tokenizer: splits (and may rewrite) the pieces the model then tokenizes one by one.</summary>
public interface IPreTokenizer
{
    /// <summary>Splits each of <paramref name="pieces"/>, returning the new list (it may reuse the argument).</summary>
    List<NormalizedText> PreTokenize(List<NormalizedText> pieces);
}
