namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>Cuts a piece into parts given its delimiter matches, as tokenizer.json's split behaviours say.</summary>
internal static class PieceSplitter
{
    /// <summary>
    /// Splits <paramref name="piece"/>. <paramref name="isDelimiter"/> marks, per UTF-16 unit, whether it is
    /// part of a delimiter; <paramref name="runStarts"/> marks where a new delimiter match begins.
    /// </summary>
    public static void Split(NormalizedText piece, ReadOnlySpan<bool> isDelimiter, ReadOnlySpan<bool> runStarts, SplitBehavior behavior, List<NormalizedText> output)
    {
        var n = piece.Length;
        var segments = new List<(int Start, int End, bool Match)>();
        var i = 0;
        while (i < n)
        {
            var j = i + 1;
            while (j < n && isDelimiter[j] == isDelimiter[i] && !(isDelimiter[j] && runStarts[j]))
            {
                j++;
            }

            segments.Add((i, j, isDelimiter[i]));
            i = j;
        }

        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var s in segments)
                {
                    if (!s.Match)
                    {
                        output.Add(piece.Slice(s.Start, s.End - s.Start));
                    }
                }

                break;
            case SplitBehavior.Isolated:
                foreach (var s in segments)
                {
                    output.Add(piece.Slice(s.Start, s.End - s.Start));
                }

                break;
            case SplitBehavior.Contiguous:
                for (var k = 0; k < segments.Count;)
                {
                    var end = segments[k].End;
                    var m = k + 1;
                    while (segments[k].Match && m < segments.Count && segments[m].Match)
                    {
                        end = segments[m].End;
                        m++;
                    }

                    output.Add(piece.Slice(segments[k].Start, end - segments[k].Start));
                    k = m;
                }

                break;
            case SplitBehavior.MergedWithPrevious:
            {
                var start = -1;
                foreach (var s in segments)
                {
                    if (s.Match && start >= 0)
                    {
                        output.Add(piece.Slice(start, s.End - start));
                        start = -1;
                    }
                    else if (s.Match)
                    {
                        output.Add(piece.Slice(s.Start, s.End - s.Start));
                    }
                    else
                    {
                        if (start >= 0)
                        {
                            output.Add(piece.Slice(start, s.Start - start));
                        }

                        start = s.Start;
                    }
                }

                if (start >= 0)
                {
                    output.Add(piece.Slice(start, n - start));
                }

                break;
            }

            case SplitBehavior.MergedWithNext:
            {
                var start = -1;
                foreach (var s in segments)
                {
                    if (s.Match)
                    {
                        if (start >= 0)
                        {
                            output.Add(piece.Slice(start, s.Start - start));
                        }

                        start = s.Start;
                    }
                    else if (start >= 0)
                    {
                        output.Add(piece.Slice(start, s.End - start));
                        start = -1;
                    }
                    else
                    {
                        output.Add(piece.Slice(s.Start, s.End - s.Start));
                    }
                }

                if (start >= 0)
                {
                    output.Add(piece.Slice(start, n - start));
                }

                break;
            }
        }
    }

    /// <summary>Splits every piece where <paramref name="predicate"/> holds for a code point.</summary>
    public static List<NormalizedText> SplitWhere(List<NormalizedText> pieces, Func<int, bool> predicate, SplitBehavior behavior, bool eachCodePointIsAMatch)
    {
        var output = new List<NormalizedText>(pieces.Count * 2);
        foreach (var piece in pieces)
        {
            var chars = piece.Chars;
            var isDelimiter = new bool[chars.Length];
            var runStarts = new bool[chars.Length];
            for (var i = 0; i < chars.Length;)
            {
                var cp = UnicodeClass.CodePointAt(chars, i, out var len);
                var match = predicate(cp);
                for (var k = 0; k < len; k++)
                {
                    isDelimiter[i + k] = match;
                }

                runStarts[i] = eachCodePointIsAMatch;
                i += len;
            }

            Split(piece, isDelimiter, runStarts, behavior, output);
        }

        return output;
    }
}
