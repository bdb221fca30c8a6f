using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// The Unigram model (SentencePiece, XLM-R): the segmentation with the highest total log-probability (Viterbi);
/// characters no piece covers become the unknown token (score: the lowest score − 10), consecutive ones fused.
/// </summary>
public sealed class UnigramModel : ITokenModel
{
    // Hugging Face's K_UNK_PENALTY.
    private const double UnknownPenalty = 10.0;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _idToToken;
    private readonly double[] _scores;
    private readonly int _unkId;
    private readonly double _unkScore;
    private readonly int _maxPieceLength;

    /// <summary>Creates the model from (piece, score) pairs in id order.</summary>
    public UnigramModel(IReadOnlyList<(string Piece, double Score)> pieces, int? unkId, bool byteFallback)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        _vocab = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        _idToToken = new string[pieces.Count];
        _scores = new double[pieces.Count];
        var min = double.MaxValue;
        for (var i = 0; i < pieces.Count; i++)
        {
            _vocab.TryAdd(pieces[i].Piece, i);
            _idToToken[i] = pieces[i].Piece;
            _scores[i] = pieces[i].Score;
            min = Math.Min(min, pieces[i].Score);
            _maxPieceLength = Math.Max(_maxPieceLength, pieces[i].Piece.Length);
        }

        _lookup = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        if (unkId is { } unk && (unk < 0 || unk >= pieces.Count))
        {
            throw new InvalidDataException($"unk_id {unk} is outside the vocabulary of {pieces.Count}");
        }

        _unkId = unkId ?? -1;
        _unkScore = min - UnknownPenalty;
        ByteFallback = byteFallback;
    }

    /// <inheritdoc/>
    public string Type => "Unigram";

    /// <inheritdoc/>
    public int VocabSize => _vocab.Count;

    /// <summary>Whether unknown characters become &lt;0xXX&gt; byte tokens.</summary>
    public bool ByteFallback { get; }

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var n = piece.Length;
        if (n == 0)
        {
            return;
        }

        // best[i]: best score of a segmentation of piece[..i]; from[i]/id[i]: its last node.
        var best = new double[n + 1];
        var from = new int[n + 1];
        var ids = new int[n + 1];
        var reached = new bool[n + 1];
        reached[0] = true;
        for (var i = 0; i < n; i++)
        {
            if (!reached[i] || char.IsLowSurrogate(piece[i]))
            {
                continue;
            }

            UnicodeClass.CodePointAt(piece, i, out var charLength);
            var hasSingle = false;
            var limit = Math.Min(n, i + _maxPieceLength);
            for (var end = i + 1; end <= limit; end++)
            {
                if (end < n && char.IsLowSurrogate(piece[end]))
                {
                    continue;
                }

                if (_lookup.TryGetValue(piece[i..end], out var id))
                {
                    hasSingle |= end - i == charLength;
                    Relax(i, end, id, _scores[id]);
                }
            }

            if (!hasSingle)
            {
                if (_unkId < 0)
                {
                    // NOTE: Hugging Face's wording (UnigramError::MissingUnkId).
                    throw new TokenizerEncodeException("Encountered an unknown token but `unk_id` is missing");
                }

                Relax(i, i + charLength, _unkId, _unkScore);
            }
        }

        // Backtrack, then emit left to right, fusing unknowns.
        var path = new List<(int Start, int End, int Id)>();
        for (var end = n; end > 0; end = from[end])
        {
            path.Add((from[end], end, ids[end]));
        }

        path.Reverse();
        var lastWasUnk = false;
        foreach (var (start, end, id) in path)
        {
            if (id == _unkId)
            {
                if (ByteFallback && TryAddBytes(piece[start..end], start, end, output))
                {
                    lastWasUnk = false;
                    continue;
                }

                if (lastWasUnk)
                {
                    output.SetOffsets(output.Count - 1, output.StartAt(output.Count - 1), end);
                    continue;
                }

                lastWasUnk = true;
                output.Add(id, start, end);
                continue;
            }

            lastWasUnk = false;
            output.Add(id, start, end);
        }

        void Relax(int start, int end, int id, double score)
        {
            var candidate = best[start] + score;
            // NOTE: strictly greater, so the first node seen (shortest start, then shortest piece) wins ties, as in Hugging Face's lattice.
            if (!reached[end] || candidate > best[end])
            {
                best[end] = candidate;
                from[end] = start;
                ids[end] = id;
                reached[end] = true;
            }
        }
    }

    private bool TryAddBytes(ReadOnlySpan<char> text, int start, int end, TokenBuffer output)
    {
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        var found = new int[bytes.Length];
        for (var k = 0; k < bytes.Length; k++)
        {
            found[k] = TokenToId($"<0x{bytes[k]:X2}>");
            if (found[k] < 0)
            {
                return false;
            }
        }

        foreach (var id in found)
        {
            output.Add(id, start, end);
        }

        return true;
    }

    /// <inheritdoc/>
    public int TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : -1;

    /// <inheritdoc/>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
}
