using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// Fast Unicode property checks for the pre-tokenizer scanners: <c>\p{L}</c>, <c>\p{N}</c> and <c>\s</c>
/// (the White_Space property, as Oniguruma and .NET agree on). The Basic Multilingual Plane is a table
/// lookup; other planes ask <see cref="Rune.GetUnicodeCategory(Rune)"/>.
/// </summary>
internal static class UnicodeClass
{
    public const byte Letter = 1;
    public const byte Number = 2;
    public const byte Space = 4;

    private static readonly byte[] s_bmp = BuildTable();

    /// <summary>The class bits of the code point <paramref name="value"/>.</summary>
    public static byte Of(int value) => value < 0x10000 ? s_bmp[value] : Compute(value);

    /// <summary>Reads the code point at <paramref name="index"/> (a surrogate pair counts as one; the text holds no lone surrogates).</summary>
    public static int CodePointAt(ReadOnlySpan<char> text, int index, out int length)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }

        length = 1;
        return c;
    }

    private static byte Compute(int value)
    {
        if (value is >= 0xD800 and <= 0xDFFF)
        {
            return 0;
        }

        var rune = new Rune(value);
        byte bits = 0;
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                bits |= Letter;
                break;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                bits |= Number;
                break;
        }

        if (Rune.IsWhiteSpace(rune))
        {
            bits |= Space;
        }

        return bits;
    }

    private static byte[] BuildTable()
    {
        var table = new byte[0x10000];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = Compute(i);
        }

        return table;
    }
}
