namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// A growable list of token ids with their [start, end) UTF-16 spans in the input text. Reused across
/// calls to keep the hot path free of allocations; not thread-safe.
/// </summary>
public sealed class TokenBuffer
{
    private int[] _ids;
    private int[] _offsets;

    /// <summary>Creates an empty buffer.</summary>
    public TokenBuffer(int capacity = 256)
    {
        _ids = new int[Math.Max(capacity, 4)];
        _offsets = new int[_ids.Length * 2];
    }

    /// <summary>Number of tokens.</summary>
    public int Count { get; private set; }

    /// <summary>The token ids.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Count);

    /// <summary>Two values (start, end) per token, in UTF-16 code units of the input (set only when the encode asked for offsets).</summary>
    public ReadOnlySpan<int> Offsets => _offsets.AsSpan(0, Count * 2);

    /// <summary>Removes all tokens.</summary>
    public void Clear() => Count = 0;

    /// <summary>Appends one token.</summary>
    public void Add(int id, int start, int end)
    {
        if (Count == _ids.Length)
        {
            Grow(Count + 1);
        }

        _ids[Count] = id;
        _offsets[2 * Count] = start;
        _offsets[2 * Count + 1] = end;
        Count++;
    }

    /// <summary>Appends one token without its span (for encodes that do not report offsets).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void AddId(int id)
    {
        if (Count == _ids.Length)
        {
            Grow(Count + 1);
        }

        _ids[Count++] = id;
    }

    /// <summary>Appends tokens without their spans.</summary>
    public void AddIds(ReadOnlySpan<int> ids)
    {
        if (Count + ids.Length > _ids.Length)
        {
            Grow(Count + ids.Length);
        }

        ids.CopyTo(_ids.AsSpan(Count));
        Count += ids.Length;
    }

    /// <summary>Appends <paramref name="count"/> tokens of <paramref name="source"/> starting at <paramref name="from"/>.</summary>
    public void AddRange(TokenBuffer source, int from, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Count + count > _ids.Length)
        {
            Grow(Count + count);
        }

        source._ids.AsSpan(from, count).CopyTo(_ids.AsSpan(Count));
        source._offsets.AsSpan(2 * from, 2 * count).CopyTo(_offsets.AsSpan(2 * Count));
        Count += count;
    }

    /// <summary>Drops the tokens from <paramref name="count"/> on.</summary>
    public void Truncate(int count) => Count = Math.Min(Count, Math.Max(count, 0));

    /// <summary>Id of token <paramref name="index"/>.</summary>
    public int IdAt(int index) => _ids[index];

    /// <summary>Start offset of token <paramref name="index"/>.</summary>
    public int StartAt(int index) => _offsets[2 * index];

    /// <summary>End offset of token <paramref name="index"/>.</summary>
    public int EndAt(int index) => _offsets[2 * index + 1];

    /// <summary>Overwrites the span of token <paramref name="index"/>.</summary>
    internal void SetOffsets(int index, int start, int end)
    {
        _offsets[2 * index] = start;
        _offsets[2 * index + 1] = end;
    }

    private void Grow(int needed)
    {
        var size = Math.Max(needed, _ids.Length * 2);
        Array.Resize(ref _ids, size);
        Array.Resize(ref _offsets, size * 2);
    }
}
