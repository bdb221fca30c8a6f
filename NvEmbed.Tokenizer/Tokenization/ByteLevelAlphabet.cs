namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// GPT-2's reversible map from bytes to printable characters, used by byte-level BPE vocabularies:
/// the printable Latin-1 bytes map to themselves, the other 68 to U+0100 onwards, in byte order.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte(s_byteToChar);

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>The byte a character stands for, or -1 when it is not in the alphabet.</summary>
    public static int ToByte(char c) => c < s_charToByte.Length ? s_charToByte[c] : -1;

    /// <summary>Writes the alphabet characters of <paramref name="bytes"/> into <paramref name="destination"/>.</summary>
    public static void Map(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        var table = s_byteToChar;
        for (var i = 0; i < bytes.Length; i++)
        {
            destination[i] = table[bytes[i]];
        }
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var map = new short[512];
        map.AsSpan().Fill(-1);
        for (var b = 0; b < 256; b++)
        {
            map[byteToChar[b]] = (short)b;
        }

        return map;
    }
}
