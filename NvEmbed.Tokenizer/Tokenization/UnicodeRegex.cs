using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// Turns a tokenizer.json regex (Oniguruma syntax, as Hugging Face runs it) into a .NET <see cref="Regex"/> that
/// matches the same code points. .NET's regex sees UTF-16 code units, so <c>\p{L}</c> or <c>[^\s\p{L}]</c> never
/// take a letter or symbol outside the Basic Multilingual Plane as one character (a class matches half a surrogate
/// pair, or neither half); here every class, property and <c>.</c> is rewritten to an alternation that takes whole
/// surrogate pairs (<see cref="CodePointSet.ToUtf16Pattern"/>). Groups, alternation, quantifiers, anchors and
/// look-arounds are passed through. Constructs whose meaning differs or that .NET lacks are refused, naming them.
/// </summary>
internal static class UnicodeRegex
{
    /// <summary>The regex for <paramref name="pattern"/>.</summary>
    /// <exception cref="InvalidDataException">The pattern uses a construct this translation cannot honour exactly.</exception>
    public static Regex Create(string pattern) => new(Translate(pattern), RegexOptions.CultureInvariant);

    /// <summary>The .NET pattern for <paramref name="pattern"/>.</summary>
    public static string Translate(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var output = new StringBuilder(pattern.Length * 4);
        for (var i = 0; i < pattern.Length;)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    i = TranslateEscape(pattern, i, output);
                    break;
                case '[':
                {
                    var (set, end) = ParseClass(pattern, i);
                    output.Append(set.ToUtf16Pattern());
                    i = end;
                    break;
                }

                case '^' or '$':
                    // NOTE: Oniguruma's Ruby syntax (Hugging Face's) anchors ^ and $ at line ends; .NET's multiline mode does.
                    output.Append("(?m:").Append(c).Append(')');
                    i++;
                    break;
                case '.':
                    output.Append(CodePointSet.Range('\n', '\n').Complement().ToUtf16Pattern());
                    i++;
                    break;
                case '*' or '+' or '?' or '}' when i + 1 < pattern.Length && pattern[i + 1] == '+':
                    throw Unsupported(pattern, "a possessive quantifier");
                case '(' when i + 2 < pattern.Length && pattern[i + 1] == '?':
                    i = TranslateGroupOpening(pattern, i, output);
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < pattern.Length && char.IsLowSurrogate(pattern[i + 1]))
                    {
                        // A literal outside the BMP is one atom: a quantifier after it applies to both halves.
                        output.Append("(?:").Append(c).Append(pattern[i + 1]).Append(')');
                        i += 2;
                    }
                    else
                    {
                        output.Append(c);
                        i++;
                    }

                    break;
            }
        }

        return output.ToString();
    }

    private static int TranslateGroupOpening(string pattern, int i, StringBuilder output)
    {
        // (?:  (?=  (?!  (?<=  (?<!  (?>  (?<name>  (?i:  (?i)  (?-i)  ...: .NET reads them alike, except Oniguruma's
        // (?m) (dot matches newline there, multiline anchors in .NET) and absent/conditional groups.
        var next = pattern[i + 2];
        if (next is ':' or '=' or '!' or '>' or '<' or '\'')
        {
            output.Append("(?");
            return i + 2;
        }

        var j = i + 2;
        while (j < pattern.Length && pattern[j] is 'i' or 'x' or '-')
        {
            j++;
        }

        if (j < pattern.Length && pattern[j] is ':' or ')' && j > i + 2)
        {
            output.Append(pattern, i, j - i);
            return j;
        }

        throw Unsupported(pattern, $"the group construct '(?{next}'");
    }

    private static int TranslateEscape(string pattern, int i, StringBuilder output)
    {
        if (i + 1 >= pattern.Length)
        {
            throw new InvalidDataException($"the regex '{pattern}' ends with a lone backslash");
        }

        var c = pattern[i + 1];
        if (TryClassEscape(pattern, i, out var set, out var end))
        {
            output.Append(set.ToUtf16Pattern());
            return end;
        }

        switch (c)
        {
            case 'b' or 'B' or 'A' or 'z' or 'Z' or 'G':
                output.Append('\\').Append(c);
                return i + 2;
            case >= '0' and <= '9' or 'k' or 'g':
                throw Unsupported(pattern, $"the back-reference or subexpression call '\\{c}'");
            case 'h' or 'H' or 'R' or 'X' or 'K' or 'N' or 'O' or 'y' or 'Y':
                throw Unsupported(pattern, $"the escape '\\{c}'");
        }

        var (codePoint, next) = ReadLiteralEscape(pattern, i);
        output.Append(CodePointSet.Range(codePoint, codePoint).ToUtf16Pattern());
        return next;
    }

    // \p{..} \P{..} \pL \s \S \d \D \w \W: the set and where the escape ends.
    private static bool TryClassEscape(string pattern, int i, out CodePointSet set, out int end)
    {
        var c = pattern[i + 1];
        switch (c)
        {
            case 's' or 'S':
                set = CodePointSet.WhiteSpace();
                break;
            case 'd' or 'D':
                set = CodePointSet.Of(UnicodeCategory.DecimalDigitNumber);
                break;
            case 'w' or 'W':
                // Oniguruma's Unicode \w: letters, marks, decimal digits, connector punctuation.
                set = CodePointSet.Of(
                    UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter,
                    UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark,
                    UnicodeCategory.DecimalDigitNumber, UnicodeCategory.ConnectorPunctuation);
                break;
            case 'p' or 'P':
            {
                string name;
                if (i + 2 < pattern.Length && pattern[i + 2] == '{')
                {
                    var close = pattern.IndexOf('}', i + 3);
                    if (close < 0)
                    {
                        throw new InvalidDataException($"the regex '{pattern}' has an unclosed \\p{{");
                    }

                    name = pattern[(i + 3)..close];
                    end = close + 1;
                }
                else if (i + 2 < pattern.Length)
                {
                    name = pattern[i + 2].ToString();
                    end = i + 3;
                }
                else
                {
                    throw new InvalidDataException($"the regex '{pattern}' ends with \\p");
                }

                var negated = c == 'P';
                if (name.StartsWith('^'))
                {
                    negated = !negated;
                    name = name[1..];
                }

                set = Property(pattern, name);
                set = negated ? set.Complement() : set;
                return true;
            }

            default:
                set = CodePointSet.Empty;
                end = i;
                return false;
        }

        end = i + 2;
        if (char.IsUpper(c))
        {
            set = set.Complement();
        }

        return true;
    }

    private static CodePointSet Property(string pattern, string name)
    {
        var categories = name.Replace("_", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "L" or "LETTER" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter],
            "LU" or "UPPERCASELETTER" => [UnicodeCategory.UppercaseLetter],
            "LL" or "LOWERCASELETTER" => [UnicodeCategory.LowercaseLetter],
            "LT" or "TITLECASELETTER" => [UnicodeCategory.TitlecaseLetter],
            "LM" or "MODIFIERLETTER" => [UnicodeCategory.ModifierLetter],
            "LO" or "OTHERLETTER" => [UnicodeCategory.OtherLetter],
            "LC" or "L&" or "CASEDLETTER" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter],
            "M" or "MARK" or "COMBININGMARK" => [UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark],
            "MN" or "NONSPACINGMARK" => [UnicodeCategory.NonSpacingMark],
            "MC" or "SPACINGMARK" => [UnicodeCategory.SpacingCombiningMark],
            "ME" or "ENCLOSINGMARK" => [UnicodeCategory.EnclosingMark],
            "N" or "NUMBER" => [UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.OtherNumber],
            "ND" or "DECIMALNUMBER" => [UnicodeCategory.DecimalDigitNumber],
            "NL" or "LETTERNUMBER" => [UnicodeCategory.LetterNumber],
            "NO" or "OTHERNUMBER" => [UnicodeCategory.OtherNumber],
            "P" or "PUNCTUATION" or "PUNCT" => [UnicodeCategory.ConnectorPunctuation, UnicodeCategory.DashPunctuation, UnicodeCategory.OpenPunctuation, UnicodeCategory.ClosePunctuation, UnicodeCategory.InitialQuotePunctuation, UnicodeCategory.FinalQuotePunctuation, UnicodeCategory.OtherPunctuation],
            "PC" or "CONNECTORPUNCTUATION" => [UnicodeCategory.ConnectorPunctuation],
            "PD" or "DASHPUNCTUATION" => [UnicodeCategory.DashPunctuation],
            "PS" or "OPENPUNCTUATION" => [UnicodeCategory.OpenPunctuation],
            "PE" or "CLOSEPUNCTUATION" => [UnicodeCategory.ClosePunctuation],
            "PI" or "INITIALPUNCTUATION" => [UnicodeCategory.InitialQuotePunctuation],
            "PF" or "FINALPUNCTUATION" => [UnicodeCategory.FinalQuotePunctuation],
            "PO" or "OTHERPUNCTUATION" => [UnicodeCategory.OtherPunctuation],
            "S" or "SYMBOL" => [UnicodeCategory.MathSymbol, UnicodeCategory.CurrencySymbol, UnicodeCategory.ModifierSymbol, UnicodeCategory.OtherSymbol],
            "SM" or "MATHSYMBOL" => [UnicodeCategory.MathSymbol],
            "SC" or "CURRENCYSYMBOL" => [UnicodeCategory.CurrencySymbol],
            "SK" or "MODIFIERSYMBOL" => [UnicodeCategory.ModifierSymbol],
            "SO" or "OTHERSYMBOL" => [UnicodeCategory.OtherSymbol],
            "Z" or "SEPARATOR" => [UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator],
            "ZS" or "SPACESEPARATOR" => [UnicodeCategory.SpaceSeparator],
            "ZL" or "LINESEPARATOR" => [UnicodeCategory.LineSeparator],
            "ZP" or "PARAGRAPHSEPARATOR" => [UnicodeCategory.ParagraphSeparator],
            "C" or "OTHER" => [UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.PrivateUse, UnicodeCategory.OtherNotAssigned],
            "CC" or "CONTROL" or "CNTRL" => [UnicodeCategory.Control],
            "CF" or "FORMAT" => [UnicodeCategory.Format],
            "CO" or "PRIVATEUSE" => [UnicodeCategory.PrivateUse],
            "CN" or "UNASSIGNED" => [UnicodeCategory.OtherNotAssigned],
            _ => (UnicodeCategory[]?)null,
        };
        return categories is null
            ? throw Unsupported(pattern, $"the property '\\p{{{name}}}' (only general categories are supported: .NET has no script or block tables that match Oniguruma's)")
            : CodePointSet.Of(categories);
    }

    // [...]: items are code points, ranges, escapes and properties; a leading ^ negates. Nested classes and
    // Oniguruma's && intersections are refused.
    private static (CodePointSet Set, int End) ParseClass(string pattern, int start)
    {
        var i = start + 1;
        var negated = i < pattern.Length && pattern[i] == '^';
        if (negated)
        {
            i++;
        }

        var set = CodePointSet.Empty;
        var first = true;
        while (true)
        {
            if (i >= pattern.Length)
            {
                throw new InvalidDataException($"the regex '{pattern}' has an unclosed character class");
            }

            var c = pattern[i];
            if (c == ']' && !first)
            {
                i++;
                break;
            }

            first = false;
            if (c == '[')
            {
                throw Unsupported(pattern, "a nested character class");
            }

            if (c == '&' && i + 1 < pattern.Length && pattern[i + 1] == '&')
            {
                throw Unsupported(pattern, "a character class intersection (&&)");
            }

            if (c == '\\' && i + 1 < pattern.Length && TryClassEscape(pattern, i, out var escaped, out var escapeEnd))
            {
                set = set.Union(escaped);
                i = escapeEnd;
                continue;
            }

            var (low, next) = ReadClassCodePoint(pattern, i);
            if (next + 1 < pattern.Length && pattern[next] == '-' && pattern[next + 1] != ']')
            {
                var (high, afterRange) = ReadClassCodePoint(pattern, next + 1);
                if (high < low)
                {
                    throw new InvalidDataException($"the regex '{pattern}' has the reversed range {low:X}-{high:X}");
                }

                set = set.Union(CodePointSet.Range(low, high));
                i = afterRange;
            }
            else
            {
                set = set.Union(CodePointSet.Range(low, low));
                i = next;
            }
        }

        return (negated ? set.Complement() : set, i);
    }

    private static (int CodePoint, int Next) ReadClassCodePoint(string pattern, int i)
    {
        if (pattern[i] == '\\')
        {
            if (i + 1 < pattern.Length && pattern[i + 1] is 'p' or 'P' or 's' or 'S' or 'd' or 'D' or 'w' or 'W')
            {
                throw Unsupported(pattern, "a class escape as a range end");
            }

            return ReadLiteralEscape(pattern, i);
        }

        if (char.IsHighSurrogate(pattern[i]) && i + 1 < pattern.Length && char.IsLowSurrogate(pattern[i + 1]))
        {
            return (char.ConvertToUtf32(pattern[i], pattern[i + 1]), i + 2);
        }

        return (pattern[i], i + 1);
    }

    // \n \r \t \f \v \a \e \xHH \x{H..} \uHHHH \0oo and escaped punctuation: one code point.
    private static (int CodePoint, int Next) ReadLiteralEscape(string pattern, int i)
    {
        if (i + 1 >= pattern.Length)
        {
            throw new InvalidDataException($"the regex '{pattern}' ends with a lone backslash");
        }

        var c = pattern[i + 1];
        switch (c)
        {
            case 'n': return ('\n', i + 2);
            case 'r': return ('\r', i + 2);
            case 't': return ('\t', i + 2);
            case 'f': return ('\f', i + 2);
            case 'v': return ('\v', i + 2);
            case 'a': return ('\a', i + 2);
            case 'e': return ('\u001B', i + 2);
            case 'x' when i + 2 < pattern.Length && pattern[i + 2] == '{':
            {
                var close = pattern.IndexOf('}', i + 3);
                return (Hex(pattern, pattern[(i + 3)..close]), close + 1);
            }

            case 'x':
                return (Hex(pattern, pattern.Substring(i + 2, 2)), i + 4);
            case 'u':
                return (Hex(pattern, pattern.Substring(i + 2, 4)), i + 6);
            default:
                if (char.IsLetterOrDigit(c))
                {
                    throw Unsupported(pattern, $"the escape '\\{c}'");
                }

                if (char.IsHighSurrogate(c) && i + 2 < pattern.Length && char.IsLowSurrogate(pattern[i + 2]))
                {
                    return (char.ConvertToUtf32(c, pattern[i + 2]), i + 3);
                }

                return (c, i + 2);
        }
    }

    private static int Hex(string pattern, string digits) =>
        int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 0x10FFFF
            ? value
            : throw new InvalidDataException($"the regex '{pattern}' has the bad code point escape '{digits}'");

    private static InvalidDataException Unsupported(string pattern, string feature) =>
        new($"the regex '{pattern}' uses {feature}, which NvEmbed's tokenizer cannot run exactly as Hugging Face does");
}
