namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>The WordPiece model (BERT): greedy longest match from the left, continuations prefixed with "##".</summary>
public sealed class WordPieceModel : ITokenModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _idToToken;
    private readonly int _unkId;
    private readonly string _prefix;
    private readonly int _maxInputCharsPerWord;

    /// <summary>Creates the model.</summary>
    public WordPieceModel(Dictionary<string, int> vocab, string unkToken, string continuingSubwordPrefix, int maxInputCharsPerWord)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        _vocab = vocab;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _idToToken = VocabArrays.Invert(vocab);
        _unkId = vocab.TryGetValue(unkToken, out var unk) ? unk : throw new InvalidDataException($"the unk_token '{unkToken}' is not in the vocabulary");
        _prefix = continuingSubwordPrefix;
        _maxInputCharsPerWord = maxInputCharsPerWord;
    }

    /// <inheritdoc/>
    public string Type => "WordPiece";

    /// <inheritdoc/>
    public int VocabSize => _vocab.Count;

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var codePoints = 0;
        for (var i = 0; i < piece.Length; i++)
        {
            if (!char.IsLowSurrogate(piece[i]))
            {
                codePoints++;
            }
        }

        if (codePoints > _maxInputCharsPerWord)
        {
            output.Add(_unkId, 0, piece.Length);
            return;
        }

        var mark = output.Count;
        Span<char> buffer = piece.Length + _prefix.Length <= 256 ? stackalloc char[256] : new char[piece.Length + _prefix.Length];
        _prefix.AsSpan().CopyTo(buffer);
        var start = 0;
        while (start < piece.Length)
        {
            var end = piece.Length;
            var found = -1;
            while (end > start)
            {
                var sub = piece[start..end];
                int id;
                if (start == 0)
                {
                    found = _lookup.TryGetValue(sub, out id) ? id : -1;
                }
                else
                {
                    sub.CopyTo(buffer[_prefix.Length..]);
                    found = _lookup.TryGetValue(buffer[..(_prefix.Length + sub.Length)], out id) ? id : -1;
                }

                if (found >= 0)
                {
                    break;
                }

                end--;
                if (end > start && char.IsLowSurrogate(piece[end]))
                {
                    end--;
                }
            }

            if (found < 0)
            {
                // NOTE: as Hugging Face does, one unmatched part makes the whole word unknown.
                output.Truncate(mark);

                output.Add(_unkId, 0, piece.Length);
                return;
            }

            output.Add(found, start, end);
            start = end;
        }
    }

    /// <inheritdoc/>
    public int TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : -1;

    /// <inheritdoc/>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
}
