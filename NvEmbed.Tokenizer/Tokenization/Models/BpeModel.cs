using System.Buffers;
using System.Collections.Concurrent;
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

    // Hugging Face caches 10,000 words; the cache here is shared by the worker threads.
    private const int CacheCapacity = 100_000;
    private const int CacheMaxWordLength = 128;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _idToToken;
    private readonly int[] _tokenLength;
    private readonly MergeTable _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
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
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        _vocab = vocab;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _idToToken = VocabArrays.Invert(vocab);
        _tokenLength = new int[_idToToken.Length];
        for (var i = 0; i < _idToToken.Length; i++)
        {
            _tokenLength[i] = _idToToken[i]?.Length ?? 0;
        }

        ContinuingSubwordPrefix = continuingSubwordPrefix;
        EndOfWordSuffix = endOfWordSuffix;
        FuseUnk = fuseUnk;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
        _unkId = unkToken is null ? -1 : vocab.TryGetValue(unkToken, out var unk) ? unk : -1;

        _merges = new MergeTable(merges.Count);
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

            _merges.TryAdd(a, b, rank, id);
        }

        IsByteLevel = true;
        for (var b = 0; b < 256; b++)
        {
            _byteIds[b] = vocab.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out var id) ? id : -1;
            IsByteLevel &= _byteIds[b] >= 0;
        }
    }

    /// <inheritdoc/>
    public string Type => "BPE";

    /// <inheritdoc/>
    public int VocabSize => _vocab.Count;

    /// <summary>True when every byte has a token, so <see cref="TokenizeByteLevel"/> can be used.</summary>
    public bool IsByteLevel { get; }

    /// <summary>The prefix of tokens that continue a word, if any.</summary>
    public string? ContinuingSubwordPrefix { get; }

    /// <summary>The suffix of tokens that end a word, if any.</summary>
    public string? EndOfWordSuffix { get; }

    /// <summary>Whether consecutive unknown tokens become one.</summary>
    public bool FuseUnk { get; }

    /// <summary>Whether unknown characters become &lt;0xXX&gt; byte tokens.</summary>
    public bool ByteFallback { get; }

    /// <summary>Whether a piece that is a vocabulary entry skips the merges.</summary>
    public bool IgnoreMerges { get; }

    /// <summary>The longest token, in characters of the vocabulary (bytes, for byte-level vocabularies).</summary>
    public int MaxTokenLength => _tokenLength.Length == 0 ? 1 : _tokenLength.Max();

    /// <inheritdoc/>
    public int TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : -1;

    /// <inheritdoc/>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>
    /// Tokenizes a piece of original text as byte-level BPE (its UTF-8 bytes, without the detour through the
    /// byte alphabet's strings), appending tokens with spans offset by <paramref name="origin"/>.
    /// The text must hold no lone surrogates.
    /// </summary>
    public void TokenizeByteLevel(ReadOnlySpan<char> piece, int origin, TokenBuffer output, bool withOffsets)
    {
        ArgumentNullException.ThrowIfNull(output);
        var maxBytes = piece.Length * 3;
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        var bytes = maxBytes <= 512 ? stackalloc byte[512] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var count = Encoding.UTF8.GetBytes(piece, bytes);
            var mapped = count <= 512 ? stackalloc char[512] : (rentedChars = ArrayPool<char>.Shared.Rent(count));
            mapped = mapped[..count];
            ByteLevelAlphabet.Map(bytes[..count], mapped);

            var mark = output.Count;
            if (_cacheLookup.TryGetValue(mapped, out var cached))
            {
                foreach (var id in cached)
                {
                    output.Add(id, 0, 0);
                }
            }
            else if (IgnoreMerges && _lookup.TryGetValue(mapped, out var whole))
            {
                output.Add(whole, 0, 0);
            }
            else
            {
                MergeBytes(bytes[..count], mapped, output);
            }

            if (withOffsets)
            {
                SetByteLevelOffsets(piece, origin, output, mark);
            }
        }
        finally
        {
            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }

            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }
        }
    }

    /// <inheritdoc/>
    public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (piece.IsEmpty)
        {
            return;
        }

        if (IgnoreMerges && _lookup.TryGetValue(piece, out var whole))
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

            if (_lookup.TryGetValue(text, out var id))
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

    private void MergeBytes(ReadOnlySpan<byte> bytes, ReadOnlySpan<char> mapped, TokenBuffer output)
    {
        var n = bytes.Length;
        int[]? rentedIds = null;
        int[]? rentedLens = null;
        var ids = n <= 256 ? stackalloc int[256] : (rentedIds = ArrayPool<int>.Shared.Rent(n));
        var lens = n <= 256 ? stackalloc int[256] : (rentedLens = ArrayPool<int>.Shared.Rent(n));
        try
        {
            for (var i = 0; i < n; i++)
            {
                ids[i] = _byteIds[bytes[i]];
                lens[i] = 1;
            }

            var count = Merge(ids[..n], lens[..n]);
            for (var k = 0; k < count; k++)
            {
                output.Add(ids[k], 0, 0);
            }

            if (n <= CacheMaxWordLength && _cache.Count < CacheCapacity)
            {
                _cache.TryAdd(new string(mapped), ids[..count].ToArray());
            }
        }
        finally
        {
            if (rentedIds is not null)
            {
                ArrayPool<int>.Shared.Return(rentedIds);
                ArrayPool<int>.Shared.Return(rentedLens!);
            }
        }
    }

    private void SetByteLevelOffsets(ReadOnlySpan<char> piece, int origin, TokenBuffer output, int mark)
    {
        // Walk the tokens' byte lengths alongside the characters' UTF-8 lengths: a token covers every
        // character one of its bytes belongs to (tokens that split a character share its span).
        var charIndex = 0;
        var charByteStart = 0;
        var charBytes = Utf8Length(piece, 0, out var charUnits);
        var bytePos = 0;
        for (var t = mark; t < output.Count; t++)
        {
            var length = _tokenLength[output.IdAt(t)];
            var first = bytePos;
            var last = bytePos + length - 1;
            while (first >= charByteStart + charBytes)
            {
                charByteStart += charBytes;
                charIndex += charUnits;
                charBytes = Utf8Length(piece, charIndex, out charUnits);
            }

            var start = charIndex;
            var scanIndex = charIndex;
            var scanByteStart = charByteStart;
            var scanBytes = charBytes;
            var scanUnits = charUnits;
            while (last >= scanByteStart + scanBytes)
            {
                scanByteStart += scanBytes;
                scanIndex += scanUnits;
                scanBytes = Utf8Length(piece, scanIndex, out scanUnits);
            }

            output.SetOffsets(t, origin + start, origin + scanIndex + scanUnits);
            bytePos += length;
        }
    }

    private static int Utf8Length(ReadOnlySpan<char> piece, int index, out int units)
    {
        if (index >= piece.Length)
        {
            units = 0;
            return int.MaxValue / 2;
        }

        var c = piece[index];
        if (char.IsHighSurrogate(c) && index + 1 < piece.Length)
        {
            units = 2;
            return 4;
        }

        units = 1;
        return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
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
