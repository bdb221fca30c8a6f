using System.Buffers;
using System.Text;

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
    private readonly Utf8Entry[]?[] _byFirstByte = new Utf8Entry[]?[256];
    private readonly SearchValues<byte> _firstBytes;

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

        // Per first character (and first UTF-8 byte), longest first, in file order among equals. Plain loops: this runs
        // at every start-up, where LINQ over value types costs tens of milliseconds of JIT.
        var byFirstChar = new Dictionary<char, List<AddedToken>>();
        var byFirstByte = new List<Utf8Entry>?[256];
        foreach (var token in tokens)
        {
            if (token.Content.Length == 0)
            {
                continue;
            }

            if (!byFirstChar.TryGetValue(token.Content[0], out var list))
            {
                byFirstChar[token.Content[0]] = list = [];
            }

            list.Add(token);
            var utf8 = Encoding.UTF8.GetBytes(token.Content);
            (byFirstByte[utf8[0]] ??= []).Add(new Utf8Entry(utf8, token));
        }

        foreach (var (first, list) in byFirstChar)
        {
            _byFirstChar[first] = StableByLengthDescending(list, t => t.Content.Length);
        }

        _firstChars = SearchValues.Create([.. _byFirstChar.Keys]);
        var firstBytes = new List<byte>();
        for (var b = 0; b < 256; b++)
        {
            if (byFirstByte[b] is { } list)
            {
                _byFirstByte[b] = StableByLengthDescending(list, e => e.Token.Content.Length);
                firstBytes.Add((byte)b);
            }
        }

        _firstBytes = SearchValues.Create([.. firstBytes]);
        var maxLength = 0;
        foreach (var token in tokens)
        {
            maxLength = Math.Max(maxLength, token.Content.Length);
        }

        MaxLength = maxLength;
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
                if (token.SingleWord && (IsWordCharBefore(text, position) || IsWordCharAt(text, matchEnd)))
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

    /// <summary>
    /// <see cref="FindNext(ReadOnlySpan{char}, int, int, out int, out int, out int)"/> over valid UTF-8: the same
    /// matches (in the same order of preference), with byte positions.
    /// </summary>
    public bool FindNext(ReadOnlySpan<byte> text, int from, int floor, out int start, out int end, out int id)
    {
        start = end = id = 0;
        var position = from;
        while (position < text.Length)
        {
            var found = text[position..].IndexOfAny(_firstBytes);
            if (found < 0)
            {
                return false;
            }

            position += found;
            foreach (var entry in _byFirstByte[text[position]]!)
            {
                var (content, token) = (entry.Content, entry.Token);
                if (!text[position..].StartsWith(content))
                {
                    continue;
                }

                var matchEnd = position + content.Length;
                if (token.SingleWord && (IsWordCharBefore(text, position) || IsWordCharAt(text, matchEnd)))
                {
                    continue;
                }

                start = position;
                end = matchEnd;
                if (token.LeftStrip)
                {
                    while (start > floor && Rune.DecodeLastFromUtf8(text[floor..start], out var before, out var length) == OperationStatus.Done && Rune.IsWhiteSpace(before))
                    {
                        start -= length;
                    }
                }

                if (token.RightStrip)
                {
                    while (end < text.Length && Rune.DecodeFromUtf8(text[end..], out var after, out var length) == OperationStatus.Done && Rune.IsWhiteSpace(after))
                    {
                        end += length;
                    }
                }

                id = token.Id;
                return true;
            }

            position++;
        }

        return false;
    }

    private static T[] StableByLengthDescending<T>(List<T> items, Func<T, int> length)
        where T : class
    {
        // Longest first; the position breaks ties, so equals keep their file order.
        var array = items.ToArray();
        var keys = new long[array.Length];
        for (var i = 0; i < array.Length; i++)
        {
            keys[i] = ((long)(int.MaxValue - length(array[i])) << 32) | (uint)i;
        }

        Array.Sort(keys, array);
        return array;
    }

    // NOTE: Hugging Face's single_word test looks at the whole character (a Rust char) before and after the match:
    // alphanumeric or '_'.
    private static bool IsWordChar(Rune rune) => Rune.IsLetter(rune) || Rune.IsNumber(rune) || rune.Value == '_';

    private static bool IsWordCharBefore(ReadOnlySpan<char> text, int index) =>
        index > 0 && Rune.DecodeLastFromUtf16(text[..index], out var rune, out _) == OperationStatus.Done && IsWordChar(rune);

    private static bool IsWordCharAt(ReadOnlySpan<char> text, int index) =>
        index < text.Length && Rune.DecodeFromUtf16(text[index..], out var rune, out _) == OperationStatus.Done && IsWordChar(rune);

    private static bool IsWordCharBefore(ReadOnlySpan<byte> text, int index) =>
        index > 0 && Rune.DecodeLastFromUtf8(text[..index], out var rune, out _) == OperationStatus.Done && IsWordChar(rune);

    private static bool IsWordCharAt(ReadOnlySpan<byte> text, int index) =>
        index < text.Length && Rune.DecodeFromUtf8(text[index..], out var rune, out _) == OperationStatus.Done && IsWordChar(rune);

    private sealed record Utf8Entry(byte[] Content, AddedToken Token);
}
