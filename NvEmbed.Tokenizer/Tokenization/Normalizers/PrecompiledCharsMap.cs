using System.Buffers.Binary;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>
/// SentencePiece's precompiled normalization table (the <c>precompiled_charsmap</c> of a tokenizer.json):
/// a 4-byte little-endian trie size, a darts-clone double-array trie of that many bytes (32-bit little-endian
/// units) keyed by UTF-8, then a blob of NUL-terminated replacement strings the trie values point into.
/// </summary>
public sealed class PrecompiledCharsMap
{
    private readonly uint[] _units;
    private readonly byte[] _blob;

    private PrecompiledCharsMap(uint[] units, byte[] blob)
    {
        _units = units;
        _blob = blob;
    }

    /// <summary>Parses the binary table; a truncated table or a non-UTF-8 string blob is an <see cref="InvalidDataException"/>.</summary>
    public static PrecompiledCharsMap Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            throw new InvalidDataException($"precompiled_charsmap has {data.Length} bytes, fewer than its 4-byte trie size");
        }

        var trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (trieBytes > (uint)(data.Length - 4))
        {
            throw new InvalidDataException($"precompiled_charsmap announces a {trieBytes}-byte trie but holds only {data.Length - 4} bytes after the size");
        }

        var units = new uint[trieBytes / 4];
        for (var i = 0; i < units.Length; i++)
        {
            units[i] = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4 + (i * 4), 4));
        }

        var blob = data[(4 + (int)trieBytes)..].ToArray();
        try
        {
            _ = new UTF8Encoding(false, true).GetCharCount(blob);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("precompiled_charsmap's normalized strings are not valid UTF-8", e);
        }

        return new PrecompiledCharsMap(units, blob);
    }

    /// <summary>
    /// Looks up <paramref name="utf8"/> as SentencePiece does: the shortest key that is a prefix of it (stopping at a NUL
    /// byte) gives the replacement; returns false when no key is a prefix. The replacement stands for the whole input.
    /// </summary>
    public bool TryTransform(ReadOnlySpan<byte> utf8, out string replacement)
    {
        replacement = string.Empty;
        if (_units.Length == 0)
        {
            return false;
        }

        var node = Offset(_units[0]);
        foreach (var b in utf8)
        {
            if (b == 0)
            {
                break;
            }

            node ^= b;
            if (node >= (uint)_units.Length)
            {
                return false;
            }

            var unit = _units[node];
            if ((unit & 0x800000FFu) != b)
            {
                return false;
            }

            node ^= Offset(unit);
            if (((unit >> 8) & 1) != 0)
            {
                if (node >= (uint)_units.Length)
                {
                    return false;
                }

                replacement = StringAt((int)(_units[node] & 0x7FFFFFFFu));
                return true;
            }
        }

        return false;
    }

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    private string StringAt(int index)
    {
        if (index >= _blob.Length)
        {
            return string.Empty;
        }

        var end = _blob.AsSpan(index).IndexOf((byte)0);
        var bytes = end < 0 ? _blob.AsSpan(index) : _blob.AsSpan(index, end);
        return Encoding.UTF8.GetString(bytes);
    }
}
