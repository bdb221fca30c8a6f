using System.Numerics;
using System.Runtime.CompilerServices;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// BPE merges, (left id, right id) → (rank, merged id), in one open-addressing table of 16-byte slots (key and value
/// side by side, so a hit costs one cache line): a lookup is one hash and usually one probe, against two dependent
/// loads (bucket, then entry) for <see cref="Dictionary{TKey, TValue}"/>. Merge lookups are most of byte-level BPE's
/// time on words that miss the word cache, and the table (8 MiB for Llama 3) does not fit in the CPU caches.
/// </summary>
internal sealed class MergeTable
{
    private readonly Slot[] _slots;
    private readonly int _mask;

    /// <summary>Creates a table for up to <paramref name="capacity"/> merges (kept at most three quarters full).</summary>
    public MergeTable(int capacity)
    {
        // NOTE: at most 3/4 full rather than 1/2 halves the table for Llama 3's 280,147 merges (8 MiB instead of
        // 16 MiB, read at every cached start-up: the cache went from 22.9 MB to 14.6 MB), for slightly longer probes.
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity + capacity / 3, 16));
        _slots = new Slot[size];
        _mask = size - 1;
    }

    /// <summary>A table from the array of <see cref="Slots"/> (the binary cache's form).</summary>
    public MergeTable(Slot[] slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        if (!BitOperations.IsPow2(slots.Length))
        {
            throw new InvalidDataException("a merge table's length must be a power of two");
        }

        _slots = slots;
        _mask = slots.Length - 1;
    }

    /// <summary>The slots (key 0 = empty).</summary>
    public Slot[] Slots => _slots;

    /// <summary>Adds a merge unless the pair is already present (the first, lowest rank wins).</summary>
    public void TryAdd(int left, int right, int rank, int merged)
    {
        var key = Key(left, right);
        var slot = Index(key);
        while (_slots[slot].Key != 0)
        {
            if (_slots[slot].Key == key)
            {
                return;
            }

            slot = (slot + 1) & _mask;
        }

        _slots[slot] = new Slot(key, ((long)rank << 32) | (uint)merged);
    }

    /// <summary>The merge of the pair as (rank &lt;&lt; 32 | merged id), or <see cref="long.MaxValue"/> when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Find(int left, int right)
    {
        var key = Key(left, right);
        var slot = Index(key);
        var slots = _slots;
        while (true)
        {
            ref readonly var entry = ref slots[slot];
            if (entry.Key == key)
            {
                return entry.Value;
            }

            if (entry.Key == 0)
            {
                return long.MaxValue;
            }

            slot = (slot + 1) & _mask;
        }
    }

    // Ids are non-negative, so +1 on each keeps 0 free as the empty marker.
    private static ulong Key(int left, int right) => ((ulong)(uint)(left + 1) << 32) | (uint)(right + 1);

    private int Index(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 32) & _mask;

    /// <summary>One slot: the pair's key and the merge.</summary>
    public readonly record struct Slot(ulong Key, long Value);
}
