using System.Runtime.CompilerServices;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>UTF-8 helpers of the byte-level fast path. The text they read is valid UTF-8 (checked on the way in).</summary>
internal static class Utf8Text
{
    /// <summary>The code point at byte <paramref name="index"/> (a character boundary) and its length in bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DecodeAt(ReadOnlySpan<byte> text, int index, out int length)
    {
        uint b = text[index];
        if (b < 0x80)
        {
            length = 1;
            return (int)b;
        }

        return DecodeMultiByte(text, index, b, out length);
    }

    /// <summary>The byte length of the character that starts with <paramref name="lead"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SequenceLength(byte lead) => lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;

    /// <summary>True when <paramref name="value"/> continues a character (10xxxxxx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsContinuation(byte value) => (value & 0xC0) == 0x80;

    /// <summary>
    /// The text as valid UTF-8: <paramref name="text"/> itself when it is, else a copy in which every invalid sequence
    /// is U+FFFD (as a UTF-8 decoder with replacement reads it, and as Node.js reads it for Hugging Face).
    /// </summary>
    public static ReadOnlySpan<byte> Sanitize(ReadOnlySpan<byte> text, ref byte[]? scratch)
    {
        if (System.Text.Unicode.Utf8.IsValid(text))
        {
            return text;
        }

        var decoded = Encoding.UTF8.GetString(text);
        var needed = Encoding.UTF8.GetMaxByteCount(decoded.Length);
        if (scratch is null || scratch.Length < needed)
        {
            scratch = new byte[needed];
        }

        var written = Encoding.UTF8.GetBytes(decoded, scratch);
        return scratch.AsSpan(0, written);
    }

    private static int DecodeMultiByte(ReadOnlySpan<byte> text, int index, uint b, out int length)
    {
        if (b < 0xE0)
        {
            length = 2;
            return (int)(((b & 0x1F) << 6) | (text[index + 1] & 0x3Fu));
        }

        if (b < 0xF0)
        {
            length = 3;
            return (int)(((b & 0x0F) << 12) | ((text[index + 1] & 0x3Fu) << 6) | (text[index + 2] & 0x3Fu));
        }

        length = 4;
        return (int)(((b & 0x07) << 18) | ((text[index + 1] & 0x3Fu) << 12) | ((text[index + 2] & 0x3Fu) << 6) | (text[index + 3] & 0x3Fu));
    }
}
