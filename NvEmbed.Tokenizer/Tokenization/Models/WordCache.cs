using System.Runtime.CompilerServices;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// The byte-level fast path's cache of merged words: UTF-8 bytes → token ids, for words that are not a single
/// vocabulary entry. One per thread (no locks); when it is full it starts over, so it follows the text it is
/// given instead of keeping whatever came first.
/// </summary>
/// <remarks>
/// Sizes: 32,768 words in a 65,536-slot table (at most half full), 1 MiB of key bytes and 128 Ki ids, about 2 MiB
/// per thread. Only words that are not a single vocabulary entry reach it, which with Llama 3's <c>ignore_merges</c>
/// leaves the multi-token words of a text; Hugging Face's own cache holds 10,000 words.
/// </remarks>
internal sealed class WordCache
{
    private const int SlotBits = 16;
    private const int MaxEntries = 1 << (SlotBits - 1);
    private const int KeyCapacity = 1 << 20;
    private const int IdCapacity = 1 << 17;

    /// <summary>Words longer than this are not cached (long runs are rare and seldom repeat).</summary>
    public const int MaxWordBytes = 64;

    private readonly int[] _slots = new int[1 << SlotBits];
    private readonly uint[] _hashes = new uint[MaxEntries + 1];
    private readonly int[] _keyStarts = new int[MaxEntries + 2];
    private readonly int[] _idStarts = new int[MaxEntries + 2];
    private readonly byte[] _keys = new byte[KeyCapacity];
    private readonly int[] _ids = new int[IdCapacity];
    private int _count;

    /// <summary>Creates an empty cache for the words of <paramref name="owner"/>.</summary>
    public WordCache(object owner) => Owner = owner;

    /// <summary>The tokenizer whose ids the cache holds.</summary>
    public object Owner { get; }

    /// <summary>The ids cached for <paramref name="word"/>, or an empty span when it is not cached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Find(ReadOnlySpan<byte> word, uint hash)
    {
        const int mask = (1 << SlotBits) - 1;
        var slot = (int)hash & mask;
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                return default;
            }

            if (_hashes[entry] == hash)
            {
                var start = _keyStarts[entry];
                if (_keyStarts[entry + 1] - start == word.Length && word.SequenceEqual(_keys.AsSpan(start, word.Length)))
                {
                    return _ids.AsSpan(_idStarts[entry], _idStarts[entry + 1] - _idStarts[entry]);
                }
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Caches <paramref name="ids"/> for <paramref name="word"/> (which must not be cached yet).</summary>
    public void Add(ReadOnlySpan<byte> word, uint hash, ReadOnlySpan<int> ids)
    {
        if (_count == MaxEntries || _keyStarts[_count + 1] + word.Length > KeyCapacity || _idStarts[_count + 1] + ids.Length > IdCapacity)
        {
            Array.Clear(_slots);
            _count = 0;
        }

        // Entry numbers start at 1 so that 0 marks an empty slot; entry e's key and ids end where e + 1's start.
        var entry = ++_count;
        var keyStart = _keyStarts[entry];
        var idStart = _idStarts[entry];
        word.CopyTo(_keys.AsSpan(keyStart));
        ids.CopyTo(_ids.AsSpan(idStart));
        _keyStarts[entry + 1] = keyStart + word.Length;
        _idStarts[entry + 1] = idStart + ids.Length;
        _hashes[entry] = hash;

        const int mask = (1 << SlotBits) - 1;
        var slot = (int)hash & mask;
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _slots[slot] = entry;
    }
}
