namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>The Punctuation pre-tokenizer: splits at each punctuation character with the given behaviour.</summary>
public sealed class PunctuationPreTokenizer(SplitBehavior behavior) : IPreTokenizer
{
    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces) =>
        PieceSplitter.SplitWhere(pieces, BertPreTokenizer.IsPunctuation, behavior, eachCodePointIsAMatch: true);
}
