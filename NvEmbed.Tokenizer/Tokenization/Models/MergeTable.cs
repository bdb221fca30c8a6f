using System.Numerics;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// BPE merges, (left id, right id) → (rank, merged id), in one open-addressing table: a lookup is one hash and
/// usually one probe into a single array, against two dependent loads (bucket, then entry) for
/// <see cref="Dictionary{TKey, TValue}"/>. Merge lookups are most of byte-level BPE's time on text that
/// misses the word cache.
/// </summary>
internal sealed class MergeTable
{
    private readonly ulong[] _keys;
    private readonly long[] _values;
    private readonly int _mask;

    /// <summary>Creates a table for up to <paramref name="capacity"/> merges (kept at most three quarters full).</summary>
    public MergeTable(int capacity)
    {
        // NOTE: at most 3/4 full rather than 1/2 halves the table for Llama 3's 280,147 merges (8 MiB instead of
        // 16 MiB, read at every cached start-up: the cache went from 22.9 MB to 14.6 MB), for slightly longer probes.
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity + capacity / 3, 16));
        _keys = new ulong[size];
        _values = new long[size];
        _mask = size - 1;
    }

    /// <summary>A table from the arrays of <see cref="Keys"/> and <see cref="Values"/> (the binary cache's form).</summary>
    public MergeTable(ulong[] keys, long[] values)
    {
        if (keys.Length != values.Length || !BitOperations.IsPow2(keys.Length))
        {
            throw new InvalidDataException("a merge table's arrays must have one power-of-two length");
        }

        _keys = keys;
        _values = values;
        _mask = keys.Length - 1;
    }

    /// <summary>The slots' keys (0 = empty).</summary>
    public ulong[] Keys => _keys;

    /// <summary>The slots' values.</summary>
    public long[] Values => _values;

    /// <summary>Adds a merge unless the pair is already present (the first, lowest rank wins).</summary>
    public void TryAdd(int left, int right, int rank, int merged)
    {
        var key = Key(left, right);
        var slot = Slot(key);
        while (_keys[slot] != 0)
        {
            if (_keys[slot] == key)
            {
                return;
            }

            slot = (slot + 1) & _mask;
        }

        _keys[slot] = key;
        _values[slot] = ((long)rank << 32) | (uint)merged;
    }

    /// <summary>The merge of the pair as (rank &lt;&lt; 32 | merged id), or <see cref="long.MaxValue"/> when there is none.</summary>
    public long Find(int left, int right)
    {
        var key = Key(left, right);
        var slot = Slot(key);
        var keys = _keys;
        while (true)
        {
            var k = keys[slot];
            if (k == key)
            {
                return _values[slot];
            }

            if (k == 0)
            {
                return long.MaxValue;
            }

            slot = (slot + 1) & _mask;
        }
    }

    // Ids are non-negative, so +1 on each keeps 0 free as the empty marker.
    private static ulong Key(int left, int right) => ((ulong)(uint)(left + 1) << 32) | (uint)(right + 1);

    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 32) & _mask;
}
