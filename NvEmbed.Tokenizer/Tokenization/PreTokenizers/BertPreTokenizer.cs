using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>BERT's pre-tokenizer: split on whitespace (dropped), then every punctuation character on its own.</summary>
public sealed class BertPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces)
    {
        var words = PieceSplitter.SplitWhere(pieces, static cp => Rune.IsWhiteSpace(new Rune(cp)), SplitBehavior.Removed, eachCodePointIsAMatch: false);
        return PieceSplitter.SplitWhere(words, IsPunctuation, SplitBehavior.Isolated, eachCodePointIsAMatch: true);
    }

    /// <summary>ASCII punctuation (symbols included, as Rust's <c>is_ascii_punctuation</c>) or a P* character of Unicode 8.0 (see <see cref="Unicode8Categories"/>).</summary>
    internal static bool IsPunctuation(int cp)
    {
        if (cp < 0x80)
        {
            return cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126);
        }

        return Unicode8Categories.IsPunctuation(cp);
    }
}
