namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>
/// The Metaspace pre-tokenizer (SentencePiece style): spaces become <c>replacement</c> (▁), a ▁ is put
/// before a piece per <c>prepend_scheme</c>, and pieces are split before each ▁.
/// </summary>
public sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : IPreTokenizer
{
    /// <summary>Whether pieces are split before each replacement character.</summary>
    public bool Splits => split;

    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 4);
        foreach (var source in pieces)
        {
            var piece = source.Slice(0, source.Length);
            var chars = piece.MutableChars;
            for (var i = 0; i < chars.Length; i++)
            {
                if (chars[i] == ' ')
                {
                    chars[i] = replacement;
                }
            }

            var prepend = prependScheme switch
            {
                "always" => true,
                "first" => piece.Length > 0 && piece.StartOf(0) == 0,
                _ => false,
            };
            if (prepend && piece.Length > 0 && piece.Chars[0] != replacement)
            {
                var prefixed = new NormalizedText(piece.Length + 1);
                // Hugging Face's prepend gives the ▁ the span of the first code point.
                UnicodeClass.CodePointAt(piece.Chars, 0, out var firstLength);
                var (firstStart, firstEnd) = piece.SpanOf(0, firstLength);
                prefixed.Append(replacement, firstStart, firstEnd);
                prefixed.AppendFrom(piece, 0, piece.Length);
                piece = prefixed;
            }

            if (!split)
            {
                output.Add(piece);
                continue;
            }

            var list = new List<NormalizedText> { piece };
            output.AddRange(PieceSplitter.SplitWhere(list, cp => cp == replacement, SplitBehavior.MergedWithNext, eachCodePointIsAMatch: true));
        }

        return output;
    }
}
