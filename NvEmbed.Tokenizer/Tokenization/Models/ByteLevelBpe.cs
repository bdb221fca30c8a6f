using System.Buffers;
using System.Runtime.CompilerServices;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// Byte-level BPE over UTF-8 pieces: a whole-piece lookup (with <c>ignore_merges</c>), then the thread's
/// <see cref="WordCache"/>, then the merges over the piece's bytes, lowest rank first and leftmost first on ties,
/// as Hugging Face's priority queue does.
/// </summary>
internal sealed class ByteLevelBpe
{
    // Pieces up to this many bytes are merged with a rescanning loop (faster for the short words of prose);
    // longer ones use a priority queue, so a 100k-byte piece costs n log n, not n².
    private const int SimpleMergeLimit = 48;

    [ThreadStatic]
    private static WordCache? t_cache;

    private readonly ByteLevelVocabulary _vocabulary;
    private readonly MergeTable _merges;
    private readonly int[] _byteIds;
    private readonly bool _ignoreMerges;

    public ByteLevelBpe(ByteLevelVocabulary vocabulary, MergeTable merges, int[] byteIds, bool ignoreMerges)
    {
        _vocabulary = vocabulary;
        _merges = merges;
        _byteIds = byteIds;
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>The tokens' bytes.</summary>
    public ByteLevelVocabulary Vocabulary => _vocabulary;

    /// <summary>Appends the ids of <paramref name="piece"/> (at least one byte) to <paramref name="output"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tokenize(ReadOnlySpan<byte> piece, TokenBuffer output)
    {
        if (piece.Length == 1)
        {
            output.AddId(_byteIds[piece[0]]);
            return;
        }

        if (_ignoreMerges)
        {
            var whole = _vocabulary.Find(piece);
            if (whole >= 0)
            {
                output.AddId(whole);
                return;
            }
        }

        TokenizeWord(piece, output);
    }

    private void TokenizeWord(ReadOnlySpan<byte> piece, TokenBuffer output)
    {
        if (piece.Length > WordCache.MaxWordBytes)
        {
            Merge(piece, output);
            return;
        }

        var cache = t_cache;
        if (cache is null || cache.Owner != this)
        {
            // One cache per thread, for the tokenizer it last served: ids are only valid for their own vocabulary.
            t_cache = cache = new WordCache(this);
        }

        var hash = ByteKeyHash.Of(piece);
        var cached = cache.Find(piece, hash);
        if (!cached.IsEmpty)
        {
            output.AddIds(cached);
            return;
        }

        var mark = output.Count;
        Merge(piece, output);
        cache.Add(piece, hash, output.Ids[mark..]);
    }

    private void Merge(ReadOnlySpan<byte> bytes, TokenBuffer output)
    {
        var n = bytes.Length;
        int[]? rented = null;
        var ids = n <= 256 ? stackalloc int[256] : (rented = ArrayPool<int>.Shared.Rent(n));
        try
        {
            for (var i = 0; i < n; i++)
            {
                ids[i] = _byteIds[bytes[i]];
            }

            var count = n <= SimpleMergeLimit ? MergeSimple(ids, n) : MergeWithQueue(ids, n);
            output.AddIds(ids[..count]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    private int MergeSimple(Span<int> ids, int n)
    {
        Span<long> pairs = stackalloc long[SimpleMergeLimit];
        var merges = _merges;
        for (var i = 0; i < n - 1; i++)
        {
            pairs[i] = merges.Find(ids[i], ids[i + 1]);
        }

        while (n > 1)
        {
            var best = 0;
            var bestValue = pairs[0];
            for (var i = 1; i < n - 1; i++)
            {
                // Ranks occupy the high half, so comparing whole values compares ranks (ties: the leftmost).
                if (pairs[i] < bestValue)
                {
                    bestValue = pairs[i];
                    best = i;
                }
            }

            if (bestValue == long.MaxValue)
            {
                break;
            }

            ids[best] = (int)(uint)bestValue;
            n--;
            ids.Slice(best + 2, n - best - 1).CopyTo(ids[(best + 1)..]);
            pairs.Slice(best + 2, n - best - 1).CopyTo(pairs[(best + 1)..]);
            if (best > 0)
            {
                pairs[best - 1] = merges.Find(ids[best - 1], ids[best]);
            }

            if (best < n - 1)
            {
                pairs[best] = merges.Find(ids[best], ids[best + 1]);
            }
        }

        return n;
    }

    private int MergeWithQueue(Span<int> ids, int n)
    {
        var next = ArrayPool<int>.Shared.Rent(n);
        var prev = ArrayPool<int>.Shared.Rent(n);
        var alive = ArrayPool<bool>.Shared.Rent(n);
        try
        {
            var queue = new PriorityQueue<int, long>(n);
            for (var i = 0; i < n; i++)
            {
                next[i] = i + 1 < n ? i + 1 : -1;
                prev[i] = i - 1;
                alive[i] = true;
                if (i + 1 < n && _merges.Find(ids[i], ids[i + 1]) is var v && v != long.MaxValue)
                {
                    queue.Enqueue(i, ((v >> 32) << 32) | (uint)i);
                }
            }

            while (queue.TryDequeue(out var pos, out var priority))
            {
                var j = next[pos];
                if (!alive[pos] || j < 0 || _merges.Find(ids[pos], ids[j]) is var v && (v == long.MaxValue || (v >> 32) != (priority >> 32)))
                {
                    continue;
                }

                ids[pos] = (int)(uint)v;
                alive[j] = false;
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
            for (var i = 0; i >= 0; i = next[i])
            {
                ids[count++] = ids[i];
            }

            return count;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<bool>.Shared.Return(alive);
        }
    }
}
