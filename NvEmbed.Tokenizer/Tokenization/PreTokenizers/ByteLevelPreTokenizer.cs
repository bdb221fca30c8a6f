using System.Text;
using System.Text.RegularExpressions;

namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>
/// The ByteLevel pre-tokenizer: optionally a leading space and GPT-2's split, then each piece's UTF-8 bytes
/// written as <see cref="ByteLevelAlphabet"/> characters (each spanning the character it came from).
/// </summary>
public sealed partial class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    /// <summary>True when a space is put before a piece that does not start with one.</summary>
    public bool AddPrefixSpace { get; } = addPrefixSpace;

    /// <summary>True when GPT-2's regex splits the pieces first.</summary>
    public bool UseRegex { get; } = useRegex;

    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces)
    {
        if (AddPrefixSpace)
        {
            for (var i = 0; i < pieces.Count; i++)
            {
                var piece = pieces[i];
                if (piece.Length > 0 && piece.Chars[0] != ' ')
                {
                    var prefixed = new NormalizedText(piece.Length + 1);
                    prefixed.Append(' ', piece.StartOf(0), piece.StartOf(0));
                    prefixed.AppendFrom(piece, 0, piece.Length);
                    pieces[i] = prefixed;
                }
            }
        }

        if (UseRegex)
        {
            pieces = new SplitPreTokenizer(Gpt2Pattern(), SplitBehavior.Isolated, invert: false).PreTokenize(pieces);
        }

        var output = new List<NormalizedText>(pieces.Count);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var piece in pieces)
        {
            var mapped = new NormalizedText(piece.Length * 2);
            var chars = piece.Chars;
            for (var i = 0; i < chars.Length;)
            {
                var cp = UnicodeClass.CodePointAt(chars, i, out var len);
                var count = new Rune(cp).EncodeToUtf8(bytes);
                var (start, end) = piece.SpanOf(i, len);
                for (var k = 0; k < count; k++)
                {
                    mapped.Append(ByteLevelAlphabet.ToChar(bytes[k]), start, end);
                }

                i += len;
            }

            output.Add(mapped);
        }

        return output;
    }

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();
}
