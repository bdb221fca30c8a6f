namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>The Digits pre-tokenizer: isolates ASCII... and Unicode decimal digits, one by one or in runs.</summary>
public sealed class DigitsPreTokenizer(bool individualDigits) : IPreTokenizer
{
    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces) =>
        PieceSplitter.SplitWhere(
            pieces,
            static cp => (UnicodeClass.Of(cp) & UnicodeClass.Number) != 0,
            individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous,
            eachCodePointIsAMatch: individualDigits);
}
