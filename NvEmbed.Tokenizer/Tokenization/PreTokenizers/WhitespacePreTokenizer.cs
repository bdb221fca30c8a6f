using System.Text.RegularExpressions;

namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>The Whitespace pre-tokenizer: <c>\w+|[^\w\s]+</c>, everything else dropped.</summary>
public sealed partial class WhitespacePreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces) =>
        new SplitPreTokenizer(WordsOrSymbols(), SplitBehavior.Removed, invert: true).PreTokenize(pieces);

    [GeneratedRegex(@"\w+|[^\w\s]+")]
    private static partial Regex WordsOrSymbols();
}
