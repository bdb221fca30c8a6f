namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// Text being normalized and pre-tokenized, with the [start, end) span in the original input that each
/// UTF-16 unit came from, so tokens can report offsets in the caller's text.
/// </summary>
public sealed class NormalizedText
{
    private char[] _chars;
    private int[] _starts;
    private int[] _ends;

    /// <summary>Creates an empty text.</summary>
    public NormalizedText(int capacity = 16)
    {
        _chars = new char[Math.Max(capacity, 4)];
        _starts = new int[_chars.Length];
        _ends = new int[_chars.Length];
    }

    /// <summary>Number of UTF-16 units.</summary>
    public int Length { get; private set; }

    /// <summary>The text.</summary>
    public ReadOnlySpan<char> Chars => _chars.AsSpan(0, Length);

    /// <summary>The text as a mutable span (same length), for one-to-one replacements.</summary>
    internal Span<char> MutableChars => _chars.AsSpan(0, Length);

    /// <summary>Original start of unit <paramref name="index"/>.</summary>
    public int StartOf(int index) => _starts[index];

    /// <summary>Original end of unit <paramref name="index"/>.</summary>
    public int EndOf(int index) => _ends[index];

    /// <summary>A text equal to <paramref name="text"/>, whose units come from <paramref name="origin"/> onwards.</summary>
    public static NormalizedText FromOriginal(ReadOnlySpan<char> text, int origin)
    {
        var result = new NormalizedText(text.Length);
        text.CopyTo(result._chars);
        for (var i = 0; i < text.Length; i++)
        {
            result._starts[i] = origin + i;
            result._ends[i] = origin + i + 1;
        }

        result.Length = text.Length;
        return result;
    }

    /// <summary>Appends one unit that came from [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void Append(char c, int start, int end)
    {
        if (Length == _chars.Length)
        {
            var size = _chars.Length * 2;
            Array.Resize(ref _chars, size);
            Array.Resize(ref _starts, size);
            Array.Resize(ref _ends, size);
        }

        _chars[Length] = c;
        _starts[Length] = start;
        _ends[Length] = end;
        Length++;
    }

    /// <summary>Appends units <paramref name="from"/> .. <paramref name="from"/> + <paramref name="count"/> of <paramref name="source"/>.</summary>
    public void AppendFrom(NormalizedText source, int from, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (var i = from; i < from + count; i++)
        {
            Append(source._chars[i], source._starts[i], source._ends[i]);
        }
    }

    /// <summary>A copy of units [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>).</summary>
    public NormalizedText Slice(int from, int count)
    {
        var result = new NormalizedText(count);
        result.AppendFrom(this, from, count);
        return result;
    }

    /// <summary>The original span of the code point starting at unit <paramref name="index"/> of length <paramref name="length"/>.</summary>
    public (int Start, int End) SpanOf(int index, int length) => (_starts[index], _ends[index + length - 1]);

    /// <inheritdoc/>
    public override string ToString() => new(Chars);
}
