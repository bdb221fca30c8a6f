using System.Globalization;

namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// Parses a JSON number the way serde_json does without its <c>float_roundtrip</c> feature (as Hugging Face
/// tokenizers builds it): the decimal digits as a u64 (digits past its range ignored), then one multiplication or
/// division by a power of ten. That can differ from the correctly rounded value in the last bit, and Unigram
/// scores that tie up to the last bit then pick different segmentations, so the engine reads scores the same way.
/// </summary>
internal static class SerdeFloat
{
    private static readonly double[] s_pow10 = BuildPow10();

    /// <summary>Parses <paramref name="text"/> (a JSON number).</summary>
    public static double Parse(ReadOnlySpan<char> text)
    {
        var i = 0;
        var positive = true;
        if (i < text.Length && text[i] == '-')
        {
            positive = false;
            i++;
        }

        ulong significand = 0;
        var exponent = 0;
        var overflowed = false;
        for (; i < text.Length && char.IsAsciiDigit(text[i]); i++)
        {
            var digit = (ulong)(text[i] - '0');
            if (overflowed || Overflows(significand, digit))
            {
                // NOTE: serde_json's parse_long_integer keeps counting digits into the exponent.
                overflowed = true;
                exponent++;
                continue;
            }

            significand = significand * 10 + digit;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            for (; i < text.Length && char.IsAsciiDigit(text[i]); i++)
            {
                var digit = (ulong)(text[i] - '0');
                if (overflowed || Overflows(significand, digit))
                {
                    overflowed = true;
                    continue;
                }

                significand = significand * 10 + digit;
                exponent--;
            }
        }

        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            exponent += int.Parse(text[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        var f = (double)significand;
        while (true)
        {
            var abs = Math.Abs(exponent);
            if (abs < s_pow10.Length)
            {
                f = exponent >= 0 ? f * s_pow10[abs] : f / s_pow10[abs];
                break;
            }

            if (f == 0)
            {
                break;
            }

            if (exponent >= 0)
            {
                return positive ? double.PositiveInfinity : double.NegativeInfinity;
            }

            f /= 1e308;
            exponent += 308;
        }

        return positive ? f : -f;
    }

    private static bool Overflows(ulong significand, ulong digit) =>
        significand >= ulong.MaxValue / 10 && (significand > ulong.MaxValue / 10 || digit > ulong.MaxValue % 10);

    private static double[] BuildPow10()
    {
        var table = new double[309];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = double.Parse("1e" + i.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        return table;
    }
}
