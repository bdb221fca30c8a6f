using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// A set of Unicode code points as sorted, disjoint, non-adjacent [first, last] ranges, with the general-category
/// sets that tokenizer.json patterns use (<c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c> ...) over the whole of Unicode.
/// </summary>
internal sealed class CodePointSet
{
    private static readonly Lazy<List<(int First, int Last)>[]> s_categories = new(BuildCategories);

    private CodePointSet(List<(int First, int Last)> ranges) => Ranges = ranges;

    /// <summary>The ranges, in order.</summary>
    public List<(int First, int Last)> Ranges { get; }

    /// <summary>The empty set.</summary>
    public static CodePointSet Empty => new([]);

    /// <summary>One range.</summary>
    public static CodePointSet Range(int first, int last) => first > last ? Empty : new([(first, last)]);

    /// <summary>The code points of the general categories in <paramref name="categories"/>.</summary>
    public static CodePointSet Of(params UnicodeCategory[] categories)
    {
        var result = Empty;
        foreach (var category in categories)
        {
            result = result.Union(new CodePointSet(s_categories.Value[(int)category]));
        }

        return result;
    }

    /// <summary>White_Space, as <c>\s</c> reads it in .NET and Oniguruma alike.</summary>
    public static CodePointSet WhiteSpace()
    {
        var result = Empty;
        for (var c = 0; c < 0x10000; c++)
        {
            if (char.IsWhiteSpace((char)c))
            {
                result = result.Union(Range(c, c));
            }
        }

        return result;
    }

    /// <summary>This set and <paramref name="other"/>.</summary>
    public CodePointSet Union(CodePointSet other)
    {
        var all = new List<(int First, int Last)>(Ranges.Count + other.Ranges.Count);
        all.AddRange(Ranges);
        all.AddRange(other.Ranges);
        all.Sort((a, b) => a.First.CompareTo(b.First));
        var merged = new List<(int First, int Last)>(all.Count);
        foreach (var range in all)
        {
            if (merged.Count > 0 && range.First <= merged[^1].Last + 1)
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, range.Last));
            }
            else
            {
                merged.Add(range);
            }
        }

        return new CodePointSet(merged);
    }

    /// <summary>Every code point not in this set (surrogate code points excluded: text never holds them alone).</summary>
    public CodePointSet Complement()
    {
        var result = new List<(int First, int Last)>();
        var next = 0;
        foreach (var (first, last) in Ranges)
        {
            if (first > next)
            {
                result.Add((next, first - 1));
            }

            next = last + 1;
        }

        if (next <= 0x10FFFF)
        {
            result.Add((next, 0x10FFFF));
        }

        return new CodePointSet(result).Without(0xD800, 0xDFFF);
    }

    /// <summary>This set less [<paramref name="first"/>, <paramref name="last"/>].</summary>
    public CodePointSet Without(int first, int last)
    {
        var result = new List<(int First, int Last)>(Ranges.Count + 1);
        foreach (var range in Ranges)
        {
            if (range.Last < first || range.First > last)
            {
                result.Add(range);
                continue;
            }

            if (range.First < first)
            {
                result.Add((range.First, first - 1));
            }

            if (range.Last > last)
            {
                result.Add((last + 1, range.Last));
            }
        }

        return new CodePointSet(result);
    }

    /// <summary>
    /// A .NET regex fragment that matches one code point of the set as UTF-16: a character class for the Basic
    /// Multilingual Plane and, for the other planes, surrogate pairs grouped by their high surrogate.
    /// </summary>
    public string ToUtf16Pattern()
    {
        var set = Without(0xD800, 0xDFFF);
        var alternatives = new List<string>();
        var bmp = new StringBuilder();
        foreach (var (first, last) in set.Ranges)
        {
            if (first > 0xFFFF)
            {
                break;
            }

            AppendRange(bmp, first, Math.Min(last, 0xFFFF));
        }

        if (bmp.Length > 0)
        {
            alternatives.Add("[" + bmp + "]");
        }

        // For each high surrogate, the low surrogates it takes; runs of highs that take every low are one class pair.
        var lows = new List<(int First, int Last)>[1024];
        foreach (var (first, last) in set.Ranges)
        {
            for (var cp = Math.Max(first, 0x10000); cp <= last;)
            {
                var high = (cp - 0x10000) >> 10;
                var blockEnd = 0x10000 + (high << 10) + 0x3FF;
                var end = Math.Min(last, blockEnd);
                (lows[high] ??= []).Add((0xDC00 + ((cp - 0x10000) & 0x3FF), 0xDC00 + ((end - 0x10000) & 0x3FF)));
                cp = end + 1;
            }
        }

        for (var high = 0; high < 1024; high++)
        {
            if (lows[high] is not { } list)
            {
                continue;
            }

            if (list is [(0xDC00, 0xDFFF)])
            {
                var run = high;
                while (run + 1 < 1024 && lows[run + 1] is [(0xDC00, 0xDFFF)])
                {
                    run++;
                }

                var highs = new StringBuilder();
                AppendRange(highs, 0xD800 + high, 0xD800 + run);
                alternatives.Add($"[{highs}][\\uDC00-\\uDFFF]");
                high = run;
                continue;
            }

            var lowClass = new StringBuilder();
            foreach (var (first, last) in list)
            {
                AppendRange(lowClass, first, last);
            }

            alternatives.Add($"\\u{0xD800 + high:X4}[{lowClass}]");
        }

        return alternatives.Count switch
        {
            0 => "(?!)",
            1 when bmp.Length > 0 => alternatives[0],
            _ => "(?:" + string.Join('|', alternatives) + ")",
        };
    }

    private static void AppendRange(StringBuilder builder, int first, int last)
    {
        builder.Append(CultureInfo.InvariantCulture, $"\\u{first:X4}");
        if (last > first)
        {
            builder.Append(CultureInfo.InvariantCulture, $"-\\u{last:X4}");
        }
    }

    private static List<(int First, int Last)>[] BuildCategories()
    {
        var lists = new List<(int First, int Last)>[(int)UnicodeCategory.OtherNotAssigned + 1];
        for (var i = 0; i < lists.Length; i++)
        {
            lists[i] = [];
        }

        var current = -1;
        var start = 0;
        for (var cp = 0; cp <= 0x110000; cp++)
        {
            var category = cp > 0x10FFFF ? -2 : cp is >= 0xD800 and <= 0xDFFF ? (int)UnicodeCategory.Surrogate : (int)CharUnicodeInfo.GetUnicodeCategory(cp);
            if (category != current)
            {
                if (current >= 0)
                {
                    lists[current].Add((start, cp - 1));
                }

                current = category;
                start = cp;
            }
        }

        return lists;
    }
}
