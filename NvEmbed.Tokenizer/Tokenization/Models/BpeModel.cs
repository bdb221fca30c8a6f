using System.Buffers;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// The BPE model: start from single characters (or bytes), then apply merges lowest rank first, leftmost
/// first on ties, as Hugging Face's priority queue does. With <c>ignore_merges</c> a piece that is a whole
/// vocabulary entry is one token. Byte-level pieces have a fast path from UTF-16 text straight to ids.
/// </summary>
public sealed class BpeModel : ITokenModel
{
    // Pieces up to this many units are merged with a rescanning loop (faster for the short words of
    // prose); longer ones use a priority queue, so a 100k-character word costs n log n, not n².
    private const int SimpleMergeLimit = 48;

    private readonly BpeVocabulary _vocabulary;
    private readonly MergeTable _merges;
    private readonly int[] _byteIds;
    private readonly int _unkId;

    /// <summary>Creates the model from the vocabulary and the merges (pairs of token strings, in rank order).</summary>
    public BpeModel(
        Dictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        string? unkToken,
        string? continuingSubwordPrefix,
        string? endOfWordSuffix,
        bool fuseUnk,
        bool byteFallback,
        bool ignoreMerges)
        : this(
            new BpeVocabulary(vocab ?? throw new ArgumentNullException(nameof(vocab))),
            BuildMerges(vocab, merges, continuingSubwordPrefix),
            ByteIds(vocab),
            byteLevelVocabulary: null,
            new BpeOptions(unkToken, continuingSubwordPrefix, endOfWordSuffix, fuseUnk, byteFallback, ignoreMerges))
    {
    }

    private BpeModel(BpeVocabulary vocabulary, MergeTable merges, int[] byteIds, ByteLevelVocabulary? byteLevelVocabulary, BpeOptions options)
    {
        _vocabulary = vocabulary;
        _merges = merges;
        _byteIds = byteIds;
        Options = options;
        _unkId = options.UnkToken is null ? -1 : TokenToId(options.UnkToken);
        if (Array.IndexOf(byteIds, -1) < 0 && options.ContinuingSubwordPrefix is null or "" && options.EndOfWordSuffix is null or "")
        {
            byteLevelVocabulary ??= ByteLevelVocabulary.TryCreate(vocabulary.ById);
            if (byteLevelVocabulary is not null)
            {
                ByteLevel = new ByteLevelBpe(byteLevelVocabulary, merges, byteIds, options.IgnoreMerges);
            }
        }
    }

    /// <summary>The model's settings from tokenizer.json.</summary>
    internal BpeOptions Options { get; }

    /// <inheritdoc/>
    public string Type => "BPE";

    /// <inheritdoc/>
    public int VocabSize => _vocabulary.Count;

    /// <summary>True when every byte has a token and every token is made of the byte alphabet, so pieces of UTF-8 can
    /// be tokenized as bytes (<see cref="ByteLevel"/>).</summary>
    public bool IsByteLevel => ByteLevel is not null;

    /// <summary>The byte-level tokenizer over UTF-8, when the vocabulary is byte-level.</summary>
    internal ByteLevelBpe? ByteLevel { get; }

    /// <summary>The prefix of tokens that continue a word, if any.</summary>
    public string? ContinuingSubwordPrefix => Options.ContinuingSubwordPrefix;

    /// <summary>The suffix of tokens that end a word, if any.</summary>
    public string? EndOfWordSuffix => Options.EndOfWordSuffix;

    /// <summary>Whether consecutive unknown tokens become one.</summary>
    public bool FuseUnk => Options.FuseUnk;

    /// <summary>Whether unknown characters become &lt;0xXX&gt; byte tokens.</summary>
    public bool ByteFallback => Options.ByteFallback;

    /// <summary>Whether a piece that is a vocabulary entry skips the merges.</summary>
    public bool IgnoreMerges => Options.IgnoreMerges;

    /// <summary>The vocabulary (for the binary cache).</summary>
    internal BpeVocabulary Vocabulary => _vocabulary;

    /// <summary>The merges (for the binary cache).</summary>
    internal MergeTable Merges => _merges;

    /// <summary>The id of each byte's token, -1 where a byte has none (for the binary cache).</summary>
    internal int[] ByteTokenIds => _byteIds;

    /// <inheritdoc/>
    public int TokenToId(string token) => _vocabulary.Dictionary.TryGetValue(token, out var id) ? id : -1;

    /// <inheritdoc/>
    public string? IdToToken(int id) => _vocabulary.ById is var byId && (uint)id < (uint)byId.Length ? byId[id] : null;

    /// <summary>A model from the binary cache's parts.</summary>
    internal static BpeModel FromParts(BpeVocabulary vocabulary, MergeTable merges, int[] byteIds, ByteLevelVocabulary? byteLevelVocabulary, BpeOptions options) =>
        new(vocabulary, merges, byteIds, byteLevelVocabulary, options);

    private static MergeTable BuildMerges(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, string? continuingSubwordPrefix)
    {
        ArgumentNullException.ThrowIfNull(merges);
        var table = new MergeTable(merges.Count);
        var prefixLength = continuingSubwordPrefix?.Length ?? 0;
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out var a) || !vocab.TryGetValue(right, out var b))
            {
                throw new InvalidDataException($"merge {rank} ('{left} {right}') uses a token that is not in the vocabulary");
            }

            var merged = prefixLength > 0 && right.StartsWith(continuingSubwordPrefix!, StringComparison.Ordinal)
                ? left + right[prefixLength..]
                : left + right;
            if (!vocab.TryGetValue(merged, out var id))
            {
                throw new InvalidDataException($"merge {rank} ('{left} {right}') makes '{merged}', which is not in the vocabulary");
            }

            table.TryAdd(a, b, rank, id);
        }

        return table;
    }

    private static int[] ByteIds(Dictionary<string, int> vocab)
    {
        var ids = new int[256];
        for (var b = 0; b < 256; b++)
        {
            ids[b] = vocab.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out var id) ? id : -1;
        }

        return ids;
    }

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (piece.IsEmpty)
        {
            return;
        }

        var lookup = _vocabulary.Dictionary.GetAlternateLookup<ReadOnlySpan<char>>();
        if (IgnoreMerges && lookup.TryGetValue(piece, out var whole))
        {
            output.Add(whole, 0, piece.Length);
            return;
        }

        var ids = new int[piece.Length * 4];
        var lens = new int[ids.Length];
        var n = 0;
        var prefix = ContinuingSubwordPrefix;
        var suffix = EndOfWordSuffix;
        var unkOpen = false;
        var buffer = new char[64];
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < piece.Length;)
        {
            UnicodeClass.CodePointAt(piece, i, out var len);
            var symbol = piece.Slice(i, len);
            var text = symbol;
            if ((prefix is not null && i > 0) || (suffix is not null && i + len == piece.Length))
            {
                var p = i > 0 ? prefix ?? string.Empty : string.Empty;
                var s = i + len == piece.Length ? suffix ?? string.Empty : string.Empty;
                var total = p.Length + len + s.Length;
                var target = total <= buffer.Length ? buffer.AsSpan() : new char[total];
                p.AsSpan().CopyTo(target);
                symbol.CopyTo(target[p.Length..]);
                s.AsSpan().CopyTo(target[(p.Length + len)..]);
                text = target[..total];
            }

            if (lookup.TryGetValue(text, out var id))
            {
                ids[n] = id;
                lens[n++] = len;
                unkOpen = false;
            }
            else if (ByteFallback && TryByteFallback(symbol, utf8, ids, lens, ref n))
            {
                unkOpen = false;
            }
            else if (_unkId >= 0)
            {
                if (FuseUnk && unkOpen)
                {
                    lens[n - 1] += len;
                }
                else
                {
                    ids[n] = _unkId;
                    lens[n++] = len;
                }

                unkOpen = true;
            }
            else if (Options.UnkToken is { } missing)
            {
                // NOTE: Hugging Face's wording (Error::UnkTokenOutOfVocabulary), raised only when a text needs it.
                throw new TokenizerEncodeException($"Unk token `{missing}` not found in the vocabulary");
            }

            i += len;
        }

        n = Merge(ids.AsSpan(0, n), lens.AsSpan(0, n));
        var start = 0;
        for (var k = 0; k < n; k++)
        {
            output.Add(ids[k], start, start + lens[k]);
            start += lens[k];
        }
    }

    private bool TryByteFallback(ReadOnlySpan<char> symbol, Span<byte> utf8, int[] ids, int[] lens, ref int n)
    {
        var count = Encoding.UTF8.GetBytes(symbol, utf8);
        Span<int> found = stackalloc int[4];
        for (var k = 0; k < count; k++)
        {
            found[k] = TokenToId($"<0x{utf8[k]:X2}>");
            if (found[k] < 0)
            {
                return false;
            }
        }

        for (var k = 0; k < count; k++)
        {
            ids[n] = found[k];
            lens[n++] = k == 0 ? symbol.Length : 0;
        }

        return true;
    }

    /// <summary>Applies the merges to the symbols in place; returns the new count.</summary>
    private int Merge(Span<int> ids, Span<int> lens)
    {
        var n = ids.Length;
        if (n < 2)
        {
            return n;
        }

        return n <= SimpleMergeLimit ? MergeSimple(ids, lens, n) : MergeWithQueue(ids, lens, n);
    }

    private int MergeSimple(Span<int> ids, Span<int> lens, int n)
    {
        Span<long> pairs = stackalloc long[SimpleMergeLimit];
        for (var i = 0; i < n - 1; i++)
        {
            pairs[i] = _merges.Find(ids[i], ids[i + 1]);
        }

        while (n > 1)
        {
            var best = -1;
            var bestValue = long.MaxValue;
            for (var i = 0; i < n - 1; i++)
            {
                // Ranks occupy the high half, so comparing whole values compares ranks.
                if (pairs[i] < bestValue)
                {
                    bestValue = pairs[i];
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            ids[best] = (int)(uint)bestValue;
            lens[best] += lens[best + 1];
            for (var i = best + 1; i < n - 1; i++)
            {
                ids[i] = ids[i + 1];
                lens[i] = lens[i + 1];
                pairs[i] = pairs[i + 1];
            }

            n--;
            if (best > 0)
            {
                pairs[best - 1] = _merges.Find(ids[best - 1], ids[best]);
            }

            if (best < n - 1)
            {
                pairs[best] = _merges.Find(ids[best], ids[best + 1]);
            }
        }

        return n;
    }

    private int MergeWithQueue(Span<int> ids, Span<int> lens, int n)
    {
        var next = ArrayPool<int>.Shared.Rent(n);
        var prev = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var queue = new PriorityQueue<int, long>(n);
            for (var i = 0; i < n; i++)
            {
                next[i] = i + 1 < n ? i + 1 : -1;
                prev[i] = i - 1;
                if (i + 1 < n && _merges.Find(ids[i], ids[i + 1]) is var v && v != long.MaxValue)
                {
                    queue.Enqueue(i, ((v >> 32) << 32) | (uint)i);
                }
            }

            while (queue.TryDequeue(out var pos, out var priority))
            {
                var j = next[pos];
                if (lens[pos] == 0 || j < 0 || _merges.Find(ids[pos], ids[j]) is var v && (v == long.MaxValue || (v >> 32) != (priority >> 32)))
                {
                    continue;
                }

                ids[pos] = (int)(uint)v;
                lens[pos] += lens[j];
                lens[j] = 0;
                next[pos] = next[j];
                if (next[j] >= 0)
                {
                    prev[next[j]] = pos;
                }

                var p = prev[pos];
                if (p >= 0 && _merges.Find(ids[p], ids[pos]) is var left && left != long.MaxValue)
                {
                    queue.Enqueue(p, ((left >> 32) << 32) | (uint)p);
                }

                var q = next[pos];
                if (q >= 0 && _merges.Find(ids[pos], ids[q]) is var right && right != long.MaxValue)
                {
                    queue.Enqueue(pos, ((right >> 32) << 32) | (uint)pos);
                }
            }

            var count = 0;
            for (var i = 0; i >= 0 && i < n; i = next[i])
            {
                ids[count] = ids[i];
                lens[count++] = lens[i];
            }

            return count;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
        }
    }
}
