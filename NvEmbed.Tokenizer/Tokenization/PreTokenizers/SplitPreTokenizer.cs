using System.Text.RegularExpressions;

namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>
/// The Split pre-tokenizer: cuts at the matches of a string or regex. The Llama 3 pattern runs on
/// <see cref="Llama3Scanner"/>; other patterns on .NET's <see cref="Regex"/>.
/// </summary>
public sealed class SplitPreTokenizer : IPreTokenizer
{
    private readonly Regex? _regex;

    /// <summary>Creates the split; <paramref name="regex"/> null means the Llama 3 scanner.</summary>
    public SplitPreTokenizer(Regex? regex, SplitBehavior behavior, bool invert)
    {
        _regex = regex;
        Behavior = behavior;
        Invert = invert;
    }

    /// <summary>What happens to the matches.</summary>
    public SplitBehavior Behavior { get; }

    /// <summary>True when the pattern marks what to keep rather than the delimiters.</summary>
    public bool Invert { get; }

    /// <summary>True when this split is the Llama 3 pattern, run by the scanner.</summary>
    public bool UsesLlama3Scanner => _regex is null;

    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 4);
        foreach (var piece in pieces)
        {
            var chars = piece.Chars;
            var isDelimiter = new bool[chars.Length];
            var runStarts = new bool[chars.Length];
            if (_regex is null)
            {
                for (var i = 0; i < chars.Length;)
                {
                    var end = Llama3Scanner.NextEnd(chars, i);
                    isDelimiter.AsSpan(i, end - i).Fill(true);
                    runStarts[i] = true;
                    i = end;
                }
            }
            else if (Invert && Behavior == SplitBehavior.Removed)
            {
                // Whitespace's form: each match is a piece of its own, everything between is dropped.
                foreach (var match in _regex.EnumerateMatches(chars))
                {
                    if (match.Length > 0)
                    {
                        output.Add(piece.Slice(match.Index, match.Length));
                    }
                }

                continue;
            }
            else
            {
                foreach (var match in _regex.EnumerateMatches(chars))
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }

                    isDelimiter.AsSpan(match.Index, match.Length).Fill(true);
                    runStarts[match.Index] = true;
                }
            }

            if (Invert)
            {
                for (var i = 0; i < isDelimiter.Length; i++)
                {
                    isDelimiter[i] = !isDelimiter[i];
                }

                // NOTE: with invert, each kept region is one match; its runs start where the old delimiters ended.
                for (var i = 0; i < isDelimiter.Length; i++)
                {
                    runStarts[i] = isDelimiter[i] && (i == 0 || !isDelimiter[i - 1]);
                }
            }

            PieceSplitter.Split(piece, isDelimiter, runStarts, Behavior, output);
        }

        return output;
    }
}
