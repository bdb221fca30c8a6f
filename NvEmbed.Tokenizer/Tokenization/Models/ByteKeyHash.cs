using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// A fixed (unseeded) 32-bit hash of a byte string for the byte-keyed tables of the byte-level fast path. The
/// tables are built from a tokenizer.json or from the engine's own cache, never from attacker-chosen keys alone,
/// so a fixed multiply-xorshift over 8-byte words is enough; it costs a few nanoseconds on the 1–20 byte words
/// of text, where the randomized string hash of <see cref="string.GetHashCode()"/> costs several times that.
/// </summary>
internal static class ByteKeyHash
{
    private const ulong K0 = 0x9E3779B97F4A7C15UL;
    private const ulong K1 = 0xC2B2AE3D27D4EB4FUL;

    /// <summary>The hash of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Of(ReadOnlySpan<byte> key)
    {
        var h = (ulong)key.Length * K0;
        while (key.Length >= 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * K1;
            h ^= h >> 29;
            key = key[8..];
        }

        ulong tail = 0;
        for (var i = 0; i < key.Length; i++)
        {
            tail |= (ulong)key[i] << (8 * i);
        }

        h = (h ^ tail) * K1;
        h ^= h >> 32;
        h *= K0;
        return (uint)(h >> 32);
    }
}
