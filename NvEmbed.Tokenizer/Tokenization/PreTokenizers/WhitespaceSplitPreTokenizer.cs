using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>The WhitespaceSplit pre-tokenizer: splits on whitespace, which is dropped.</summary>
public sealed class WhitespaceSplitPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces) =>
        PieceSplitter.SplitWhere(pieces, static cp => Rune.IsWhiteSpace(new Rune(cp)), SplitBehavior.Removed, eachCodePointIsAMatch: false);
}
