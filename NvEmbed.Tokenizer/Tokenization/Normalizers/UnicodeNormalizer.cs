using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Normalizers;

/// <summary>
/// The NFC, NFD, NFKC and NFKD normalizers. Code points unassigned in Unicode 9.0 (the version of Hugging Face's
/// normalization tables, see <see cref="Unicode9Unassigned"/>) stay as they are and act as starters that nothing
/// composes or reorders across, as they do there.
/// </summary>
public sealed class UnicodeNormalizer(NormalizationForm form) : INormalizer
{
    /// <summary>The form applied.</summary>
    public NormalizationForm Form { get; } = form;

    /// <inheritdoc/>
    public NormalizedText Normalize(NormalizedText text) => Apply(text, Form);

    /// <summary>Normalizes <paramref name="text"/> to <paramref name="form"/>, keeping spans per combining sequence.</summary>
    internal static NormalizedText Apply(NormalizedText text, NormalizationForm form)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.Chars;
        if (chars.IsEmpty || IsAscii(chars))
        {
            return text;
        }

        var whole = chars.ToString();
        var wholeOk = TryNormalizeUnicode9(whole, form, out var normalized);
        if (wholeOk && ReferenceEquals(normalized, whole))
        {
            return text;
        }

        // Spans: normalize each combining sequence on its own; when the pieces add up to the whole
        // (they do unless composition crosses a sequence boundary), each output unit gets its sequence's span.
        var output = new NormalizedText(normalized.Length);
        var pieces = new StringBuilder(normalized.Length);
        var i = 0;
        while (i < chars.Length)
        {
            var end = i;
            var first = UnicodeClass.CodePointAt(chars, end, out var len);
            end += len;
            if (Unicode9Unassigned.Contains(first))
            {
                // Unassigned in Hugging Face's tables: a sequence of its own, kept as it is.
                var kept = chars[i..end].ToString();
                pieces.Append(kept);
                RuneMapper.Append(output, kept, text.StartOf(i), text.EndOf(end - 1));
                i = end;
                continue;
            }

            while (end < chars.Length)
            {
                var cp = UnicodeClass.CodePointAt(chars, end, out var nextLen);
                if (!Continues(cp) || Unicode9Unassigned.Contains(cp))
                {
                    break;
                }

                end += nextLen;
            }

            TryNormalize(chars[i..end].ToString(), form, out var piece);
            pieces.Append(piece);
            AppendAligned(output, piece, text, i, end, form);
            i = end;
        }

        // NOTE: ICU refuses some strings (noncharacters such as U+FFFE); those sequences stay as they are.
        if (!wholeOk || pieces.Equals(normalized.AsSpan()))
        {
            return output;
        }

        var coarse = new NormalizedText(normalized.Length);
        for (var k = 0; k < normalized.Length; k++)
        {
            var source = Math.Min(k, chars.Length - 1);
            coarse.Append(normalized[k], text.StartOf(source), text.EndOf(source));
        }

        return coarse;
    }

    // NOTE: Hugging Face aligns normalized text with the (char, change) pairs of unicode-normalization-alignments:
    // a character a decomposition inserts shares the span of the one it came from, a character a composition removes
    // is dropped and the composed character keeps the span of the first (NormalizedString::transform). When the
    // sequence's characters normalize one by one to the same text, each output character takes the span of the input
    // character it came from; otherwise (a composition across characters) the composed character keeps the span of its
    // first character and the characters it absorbed are skipped.
    private static void AppendAligned(NormalizedText output, string piece, NormalizedText text, int from, int to, NormalizationForm form)
    {
        var chars = text.Chars;
        var separately = new StringBuilder(piece.Length);
        for (var i = from; i < to;)
        {
            UnicodeClass.CodePointAt(chars, i, out var length);
            TryNormalize(chars.Slice(i, length).ToString(), form, out var one);
            separately.Append(one);
            i += length;
        }

        if (separately.Equals(piece.AsSpan()))
        {
            for (var i = from; i < to;)
            {
                UnicodeClass.CodePointAt(chars, i, out var length);
                TryNormalize(chars.Slice(i, length).ToString(), form, out var one);
                var (start, end) = text.SpanOf(i, length);
                RuneMapper.Append(output, one, start, end);
                i += length;
            }

            return;
        }

        // The input characters, then the output characters in order: one equal to the next input character takes its
        // span; the first that differs (the composed character) takes the next span and the characters the composition
        // removed are skipped after it.
        var inputs = new List<(int CodePoint, int Start, int End)>();
        for (var i = from; i < to;)
        {
            var cp = UnicodeClass.CodePointAt(chars, i, out var length);
            var (start, end) = text.SpanOf(i, length);
            inputs.Add((cp, start, end));
            i += length;
        }

        var outputCount = 0;
        for (var k = 0; k < piece.Length; outputCount++)
        {
            UnicodeClass.CodePointAt(piece, k, out var length);
            k += length;
        }

        var removed = Math.Max(inputs.Count - outputCount, 0);
        var index = 0;
        for (var k = 0; k < piece.Length;)
        {
            var cp = UnicodeClass.CodePointAt(piece, k, out var length);
            var input = inputs[Math.Min(index, inputs.Count - 1)];
            for (var u = 0; u < length; u++)
            {
                output.Append(piece[k + u], input.Start, input.End);
            }

            index += input.CodePoint == cp ? 1 : 1 + removed;
            removed = input.CodePoint == cp ? removed : 0;
            k += length;
        }
    }

    /// <summary>Normalizes the runs between code points unassigned in Unicode 9.0, keeping those as they are.</summary>
    private static bool TryNormalizeUnicode9(string text, NormalizationForm form, out string normalized)
    {
        var split = -1;
        for (var k = 0; k < text.Length; k++)
        {
            var cp = UnicodeClass.CodePointAt(text, k, out var len);
            if (Unicode9Unassigned.Contains(cp))
            {
                split = k;
                break;
            }

            k += len - 1;
        }

        if (split < 0)
        {
            return TryNormalize(text, form, out normalized);
        }

        var ok = true;
        var builder = new StringBuilder(text.Length);
        var runStart = 0;
        var i = split;
        while (i < text.Length)
        {
            var cp = UnicodeClass.CodePointAt(text, i, out var len);
            if (Unicode9Unassigned.Contains(cp))
            {
                ok &= TryNormalize(text[runStart..i], form, out var run);
                builder.Append(run).Append(text, i, len);
                runStart = i + len;
            }

            i += len;
        }

        ok &= TryNormalize(text[runStart..], form, out var last);
        builder.Append(last);
        var result = builder.ToString();
        normalized = result == text ? text : result;
        return ok;
    }

    private static bool TryNormalize(string text, NormalizationForm form, out string normalized)
    {
        try
        {
            normalized = text.IsNormalized(form) ? text : text.Normalize(form);
            return true;
        }
        catch (ArgumentException)
        {
            normalized = text;
            return false;
        }
    }

    private static bool IsAscii(ReadOnlySpan<char> chars) => System.Text.Ascii.IsValid(chars);

    private static bool Continues(int cp)
    {
        // Hangul vowel and trailing jamo compose with what precedes them.
        if (cp is >= 0x1160 and <= 0x11FF)
        {
            return true;
        }

        var category = Rune.GetUnicodeCategory(new Rune(cp));
        return category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
    }
}
