using System.Numerics;
using System.Runtime.CompilerServices;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// The tokens of a byte-level BPE vocabulary as raw bytes (the <see cref="ByteLevelAlphabet"/> characters mapped
/// back), in one arena, with an open-addressing table from bytes to id. Lets the fast path look up a piece of
/// UTF-8 text directly, with no string and no detour through the alphabet's characters.
/// </summary>
internal sealed class ByteLevelVocabulary
{
    private readonly byte[] _bytes;
    private readonly int[] _starts;
    private readonly int[] _slots;
    private readonly uint[] _slotHashes;
    private readonly int _mask;

    /// <summary>A table from its arrays (the binary cache's form).</summary>
    public ByteLevelVocabulary(byte[] bytes, int[] starts, int[] slots, uint[] slotHashes)
    {
        if (slots.Length != slotHashes.Length || !System.Numerics.BitOperations.IsPow2(slots.Length) || starts.Length == 0 || starts[^1] != bytes.Length)
        {
            throw new InvalidDataException("a byte-level vocabulary's arrays do not fit together");
        }

        _bytes = bytes;
        _starts = starts;
        _slots = slots;
        _slotHashes = slotHashes;
        _mask = slots.Length - 1;
    }

    /// <summary>
    /// Builds the table from the token strings by id (null for ids without a token); null when some token holds a
    /// character outside the byte alphabet (the vocabulary is then not byte-level).
    /// </summary>
    public static ByteLevelVocabulary? TryCreate(IReadOnlyList<string?> idToToken)
    {
        var total = 0;
        for (var id = 0; id < idToToken.Count; id++)
        {
            total += idToToken[id]?.Length ?? 0;
        }

        var bytes = new byte[total];
        var starts = new int[idToToken.Count + 1];
        var position = 0;
        for (var id = 0; id < idToToken.Count; id++)
        {
            starts[id] = position;
            foreach (var c in idToToken[id] ?? string.Empty)
            {
                var b = ByteLevelAlphabet.ToByte(c);
                if (b < 0)
                {
                    return null;
                }

                bytes[position++] = (byte)b;
            }
        }

        starts[idToToken.Count] = position;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(idToToken.Count * 2, 16));
        var slots = new int[size];
        var hashes = new uint[size];
        var vocabulary = new ByteLevelVocabulary(bytes, starts, slots, hashes);
        for (var id = 0; id < idToToken.Count; id++)
        {
            if (idToToken[id] is not null)
            {
                vocabulary.Insert(id);
            }
        }

        return vocabulary;
    }

    /// <summary>The arrays, for the binary cache.</summary>
    public (byte[] Bytes, int[] Starts, int[] Slots, uint[] SlotHashes) Arrays => (_bytes, _starts, _slots, _slotHashes);

    /// <summary>Number of ids (the largest id + 1).</summary>
    public int IdCount => _starts.Length - 1;

    /// <summary>The bytes of token <paramref name="id"/> (empty for an id without a token).</summary>
    public ReadOnlySpan<byte> BytesOf(int id) => _bytes.AsSpan(_starts[id], _starts[id + 1] - _starts[id]);

    /// <summary>The length in bytes of token <paramref name="id"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LengthOf(int id) => _starts[id + 1] - _starts[id];

    /// <summary>The id of the token whose bytes are <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<byte> key)
    {
        var hash = ByteKeyHash.Of(key);
        var slot = (int)hash & _mask;
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                return -1;
            }

            if (_slotHashes[slot] == hash)
            {
                var id = entry - 1;
                var start = _starts[id];
                if (_starts[id + 1] - start == key.Length && key.SequenceEqual(_bytes.AsSpan(start, key.Length)))
                {
                    return id;
                }
            }

            slot = (slot + 1) & _mask;
        }
    }

    private void Insert(int id)
    {
        var key = BytesOf(id);
        var hash = ByteKeyHash.Of(key);
        var slot = (int)hash & _mask;
        while (_slots[slot] != 0)
        {
            // NOTE: two ids with the same bytes: the first (lowest) id keeps the entry, as a merge or whole-word
            // lookup in Hugging Face finds the vocabulary's entry for the string, whichever id that is; byte-level
            // vocabularies hold each string once, so this only guards malformed files.
            var other = _slots[slot] - 1;
            if (_slotHashes[slot] == hash && BytesOf(other).SequenceEqual(key))
            {
                return;
            }

            slot = (slot + 1) & _mask;
        }

        _slots[slot] = id + 1;
        _slotHashes[slot] = hash;
    }
}
