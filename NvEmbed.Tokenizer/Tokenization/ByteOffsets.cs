using System.Buffers;
using NvEmbed.Tokenizer.Tokenization.Models;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>Token spans of the byte-level fast path: byte spans while encoding, UTF-16 spans at the end.</summary>
internal static class ByteOffsets
{
    /// <summary>Gives tokens <paramref name="mark"/>.. of <paramref name="output"/>, which tile the piece at byte
    /// <paramref name="pieceStart"/>, their byte spans.</summary>
    public static void SetPieceSpans(ByteLevelVocabulary vocabulary, TokenBuffer output, int mark, int pieceStart)
    {
        var position = pieceStart;
        for (var t = mark; t < output.Count; t++)
        {
            var length = vocabulary.LengthOf(output.IdAt(t));
            output.SetOffsets(t, position, position + length);
            position += length;
        }
    }

    /// <summary>
    /// Turns the byte spans of <paramref name="tokens"/> into UTF-16 spans of <paramref name="text"/>. As in Hugging
    /// Face, a token covers every character one of its bytes belongs to (tokens that split a character share it).
    /// </summary>
    public static void ToUtf16(ReadOnlySpan<byte> text, TokenBuffer tokens)
    {
        var map = ArrayPool<int>.Shared.Rent(text.Length + 1);
        try
        {
            var units = 0;
            for (var i = 0; i < text.Length;)
            {
                var length = Utf8Text.SequenceLength(text[i]);
                map[i] = units;
                units += length == 4 ? 2 : 1;
                i += length;
            }

            map[text.Length] = units;
            for (var t = 0; t < tokens.Count; t++)
            {
                var start = tokens.StartAt(t);
                var end = tokens.EndAt(t);
                while (start > 0 && start < text.Length && Utf8Text.IsContinuation(text[start]))
                {
                    start--;
                }

                while (end < text.Length && end > start && Utf8Text.IsContinuation(text[end]))
                {
                    end++;
                }

                tokens.SetOffsets(t, map[start], end > start ? map[end] : map[start]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(map);
        }
    }
}
