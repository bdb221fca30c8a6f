using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>
/// The Precompiled normalizer (SentencePiece's compiled normalization rules, used by XLM-R, multilingual-e5, T5...):
/// per grapheme cluster, a cluster of fewer than 6 UTF-8 bytes is looked up whole; otherwise (or when it has no entry)
/// each code point is looked up on its own; text without an entry stays as it is. Spans follow Hugging Face's
/// bookkeeping for this normalizer exactly: each replacement is recorded as (char, change) pairs — extra characters
/// are insertions sharing the previous unit's span, removed characters are charged to the last recorded character —
/// and those pairs are then replayed over the input.
/// </summary>
public sealed class PrecompiledNormalizer(PrecompiledCharsMap map) : INormalizer
{
    private const int WholeGraphemeMaxBytes = 6;

    /// <summary>The table.</summary>
    public PrecompiledCharsMap Map { get; } = map ?? throw new ArgumentNullException(nameof(map));

    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.Chars;
        if (chars.IsEmpty)
        {
            return text;
        }

        var changes = new List<(Rune Rune, int Change)>(chars.Length);
        var modified = false;
        Span<byte> utf8 = stackalloc byte[4];
        byte[]? rented = null;
        for (var i = 0; i < chars.Length;)
        {
            var length = StringInfo.GetNextTextElementLength(chars[i..]);
            var grapheme = chars.Slice(i, length);
            var bytes = Encoding.UTF8.GetByteCount(grapheme);
            if (bytes < WholeGraphemeMaxBytes)
            {
                if (rented is null || rented.Length < bytes)
                {
                    rented = new byte[Math.Max(bytes, 8)];
                }

                var written = Encoding.UTF8.GetBytes(grapheme, rented);
                if (Map.TryTransform(rented.AsSpan(0, written), out var whole))
                {
                    modified = true;
                    Record(changes, CountRunes(grapheme), whole);
                    i += length;
                    continue;
                }
            }

            for (var k = 0; k < grapheme.Length;)
            {
                var cp = UnicodeClass.CodePointAt(grapheme, k, out var len);
                var rune = Rune.IsValid(cp) ? new Rune(cp) : Rune.ReplacementChar;
                var written = rune.EncodeToUtf8(utf8);
                if (Map.TryTransform(utf8[..written], out var part))
                {
                    modified = true;
                    Record(changes, 1, part);
                }
                else
                {
                    changes.Add((rune, 0));
                }

                k += len;
            }

            i += length;
        }

        return modified ? Replay(text, changes) : text;
    }

    private static int CountRunes(ReadOnlySpan<char> text)
    {
        var count = 0;
        for (var k = 0; k < text.Length; k++)
        {
            if (!(char.IsHighSurrogate(text[k]) && k + 1 < text.Length && char.IsLowSurrogate(text[k + 1])))
            {
                count++;
            }
        }

        return count;
    }

    private static void Record(List<(Rune Rune, int Change)> changes, int oldCount, string replacement)
    {
        var first = changes.Count;
        foreach (var rune in replacement.EnumerateRunes())
        {
            changes.Add((rune, 0));
        }

        var diff = changes.Count - first - oldCount;
        if (diff > 0)
        {
            for (var k = changes.Count - diff; k < changes.Count; k++)
            {
                changes[k] = (changes[k].Rune, 1);
            }
        }
        else if (diff < 0 && changes.Count > 0)
        {
            var last = changes[^1];
            changes[^1] = (last.Rune, last.Change + diff);
        }
    }

    /// <summary>Replays (char, change) pairs over <paramref name="text"/>: change 0 takes the next input code point's
    /// span, a positive change is an insertion with the span of the unit before the cursor, a negative change also
    /// skips that many input code points; input left over at the end is dropped.</summary>
    private static NormalizedText Replay(NormalizedText text, List<(Rune Rune, int Change)> changes)
    {
        var chars = text.Chars;
        var output = new NormalizedText(chars.Length + 8);
        var cursor = 0;
        var previous = (Start: text.StartOf(0), End: text.StartOf(0));
        foreach (var (rune, change) in changes)
        {
            int start, end;
            if (change > 0)
            {
                // An insertion shares the span of the code point before the cursor.
                (start, end) = previous;
            }
            else if (cursor < chars.Length)
            {
                UnicodeClass.CodePointAt(chars, cursor, out var len);
                (start, end) = text.SpanOf(cursor, len);
                previous = (start, end);
                cursor += len;
            }
            else
            {
                // More replacements than input cannot come from a consistent table; keep the end.
                (start, end) = (text.EndOf(chars.Length - 1), text.EndOf(chars.Length - 1));
            }

            for (var skip = change; skip < 0 && cursor < chars.Length; skip++)
            {
                UnicodeClass.CodePointAt(chars, cursor, out var len);
                previous = text.SpanOf(cursor, len);
                cursor += len;
            }

            RuneMapper.Append(output, rune, start, end);
        }

        return output;
    }
}
