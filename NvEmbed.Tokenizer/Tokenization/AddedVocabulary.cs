using System.Buffers;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// Finds added tokens in text: leftmost match first, the longest at that position (Hugging Face's
/// Aho-Corasick LeftmostLongest), honouring single_word, lstrip and rstrip.
/// </summary>
public sealed class AddedVocabulary
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar = [];
    private readonly SearchValues<char> _firstChars;
    private readonly Dictionary<int, AddedToken> _byId = [];
    private readonly Dictionary<string, AddedToken> _byContent = new(StringComparer.Ordinal);

    /// <summary>Creates the vocabulary from the tokens of tokenizer.json.</summary>
    public AddedVocabulary(IReadOnlyList<AddedToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Tokens = tokens;
        foreach (var token in tokens)
        {
            _byId[token.Id] = token;
            _byContent.TryAdd(token.Content, token);
        }

        foreach (var group in tokens.Where(t => t.Content.Length > 0).GroupBy(t => t.Content[0]))
        {
            _byFirstChar[group.Key] = [.. group.OrderByDescending(t => t.Content.Length)];
        }

        _firstChars = SearchValues.Create([.. _byFirstChar.Keys]);
        MaxLength = tokens.Count == 0 ? 0 : tokens.Max(t => t.Content.Length);
    }

    /// <summary>All added tokens.</summary>
    public IReadOnlyList<AddedToken> Tokens { get; }

    /// <summary>The longest content, in UTF-16 units.</summary>
    public int MaxLength { get; }

    /// <summary>The added token with id <paramref name="id"/>, if any.</summary>
    public AddedToken? ById(int id) => _byId.GetValueOrDefault(id);

    /// <summary>The added token whose content is <paramref name="content"/>, if any.</summary>
    public AddedToken? ByContent(string content) => _byContent.GetValueOrDefault(content);

    /// <summary>
    /// Finds the next added token in <paramref name="text"/> at or after <paramref name="from"/>; returns false
    /// when there is none. The span includes stripped whitespace.
    /// </summary>
    public bool FindNext(ReadOnlySpan<char> text, int from, int floor, out int start, out int end, out int id)
    {
        start = end = id = 0;
        if (_byFirstChar.Count == 0)
        {
            return false;
        }

        var position = from;
        while (position < text.Length)
        {
            var found = text[position..].IndexOfAny(_firstChars);
            if (found < 0)
            {
                return false;
            }

            position += found;
            foreach (var token in _byFirstChar[text[position]])
            {
                if (!text[position..].StartsWith(token.Content, StringComparison.Ordinal))
                {
                    continue;
                }

                var matchEnd = position + token.Content.Length;
                if (token.SingleWord && (IsWordChar(text, position - 1) || IsWordChar(text, matchEnd)))
                {
                    continue;
                }

                start = position;
                end = matchEnd;
                if (token.LeftStrip)
                {
                    while (start > floor && char.IsWhiteSpace(text[start - 1]))
                    {
                        start--;
                    }
                }

                if (token.RightStrip)
                {
                    while (end < text.Length && char.IsWhiteSpace(text[end]))
                    {
                        end++;
                    }
                }

                id = token.Id;
                return true;
            }

            position++;
        }

        return false;
    }

    private static bool IsWordChar(ReadOnlySpan<char> text, int index) =>
        index >= 0 && index < text.Length && (char.IsLetterOrDigit(text[index]) || text[index] == '_');
}
