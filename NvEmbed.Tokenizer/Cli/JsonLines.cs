using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NvEmbed.Tokenizer.Cli;

/// <summary>
/// Reads and writes the JSON lines of the <c>encode</c> command in UTF-8, with no string per line. Escaped strings
/// are unescaped here because System.Text.Json refuses lone surrogates (<c>"\ud800"</c>), which are valid JSON and
/// which the tokenizer must accept: they become U+FFFD, as in Hugging Face.
/// </summary>
public static class JsonLines
{
    /// <summary>
    /// Finds the string property <paramref name="name"/> of the JSON object in <paramref name="line"/> and returns its
    /// value as UTF-8: a slice of <paramref name="line"/> when it has no escapes, else unescaped into
    /// <paramref name="scratch"/> (grown as needed).
    /// </summary>
    /// <exception cref="FormatException">The line is not an object with that string property.</exception>
    public static ReadOnlySpan<byte> ReadStringPropertyUtf8(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name, scoped ref byte[] scratch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        var reader = FindString(line, name);
        if (!reader.ValueIsEscaped)
        {
            return line.Slice((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
        }

        var raw = reader.ValueSpan;
        if (scratch.Length < raw.Length)
        {
            scratch = new byte[Math.Max(raw.Length, scratch.Length * 2)];
        }

        return scratch.AsSpan(0, Unescape(raw, scratch));
    }

    /// <summary>The string property <paramref name="name"/> of the JSON object in <paramref name="line"/>, lone surrogates kept.</summary>
    /// <exception cref="FormatException">The line is not an object with that string property.</exception>
    public static string ReadStringProperty(ReadOnlySpan<byte> line, string name)
    {
        var reader = FindString(line, Encoding.UTF8.GetBytes(name));
        return reader.ValueIsEscaped ? UnescapeToUtf16(reader.ValueSpan) : Encoding.UTF8.GetString(reader.ValueSpan);
    }

    // A reader on the value of the string property name of the object in line.
    private static Utf8JsonReader FindString(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("a line is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match)
                {
                    return reader.TokenType == JsonTokenType.String
                        ? reader
                        : throw new FormatException($"\"{Encoding.UTF8.GetString(name)}\" is not a string");
                }

                reader.Skip();
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"a line is not valid JSON: {ex.Message}", ex);
        }

        throw new FormatException($"a line has no \"{Encoding.UTF8.GetString(name)}\" property");
    }

    /// <summary>The int array property <paramref name="name"/> of the JSON object in <paramref name="line"/>.</summary>
    public static int[] ReadIntArrayProperty(ReadOnlySpan<byte> line, string name)
    {
        var reader = new Utf8JsonReader(line);
        var result = new List<int>();
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match && reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                    {
                        result.Add(reader.GetInt32());
                    }

                    return [.. result];
                }

                reader.Skip();
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"a line is not valid JSON: {ex.Message}", ex);
        }

        throw new FormatException($"a line has no \"{name}\" array");
    }

    /// <summary>Writes <c>{"ids":[...]}</c> (and <c>"offsets":[[s,e],...]</c> when <paramref name="withOffsets"/>) and a newline.</summary>
    public static void WriteIds(IBufferWriter<byte> output, ReadOnlySpan<int> ids, ReadOnlySpan<int> offsets, bool withOffsets)
    {
        ArgumentNullException.ThrowIfNull(output);

        // At most 11 bytes per number and its comma; offsets add two numbers and "[,],".
        var span = output.GetSpan(16 + ids.Length * 12 + offsets.Length * 14);
        "{\"ids\":["u8.CopyTo(span);
        var n = 8;
        for (var i = 0; i < ids.Length; i++)
        {
            if (i > 0)
            {
                span[n++] = (byte)',';
            }

            Utf8Formatter.TryFormat(ids[i], span[n..], out var written);
            n += written;
        }

        span[n++] = (byte)']';
        if (withOffsets)
        {
            ",\"offsets\":["u8.CopyTo(span[n..]);
            n += 12;
            for (var i = 0; i < offsets.Length; i += 2)
            {
                if (i > 0)
                {
                    span[n++] = (byte)',';
                }

                span[n++] = (byte)'[';
                Utf8Formatter.TryFormat(offsets[i], span[n..], out var a);
                n += a;
                span[n++] = (byte)',';
                Utf8Formatter.TryFormat(offsets[i + 1], span[n..], out var b);
                n += b;
                span[n++] = (byte)']';
            }

            span[n++] = (byte)']';
        }

        span[n++] = (byte)'}';
        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    /// <summary>Unescapes a JSON string body into UTF-8 (never longer than the escaped form); returns the length.</summary>
    private static int Unescape(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b != (byte)'\\')
            {
                destination[n++] = b;
                continue;
            }

            var c = raw[++i];
            switch (c)
            {
                case (byte)'n': destination[n++] = (byte)'\n'; break;
                case (byte)'r': destination[n++] = (byte)'\r'; break;
                case (byte)'t': destination[n++] = (byte)'\t'; break;
                case (byte)'b': destination[n++] = (byte)'\b'; break;
                case (byte)'f': destination[n++] = (byte)'\f'; break;
                case (byte)'u':
                {
                    int value = Hex4(raw.Slice(i + 1, 4));
                    i += 4;
                    if (char.IsHighSurrogate((char)value) && i + 6 < raw.Length && raw[i + 1] == (byte)'\\' && raw[i + 2] == (byte)'u'
                        && Hex4(raw.Slice(i + 3, 4)) is var low && char.IsLowSurrogate((char)low))
                    {
                        value = char.ConvertToUtf32((char)value, (char)low);
                        i += 6;
                    }
                    else if (char.IsSurrogate((char)value))
                    {
                        value = 0xFFFD;
                    }

                    n += new Rune(value).EncodeToUtf8(destination[n..]);
                    break;
                }

                default: destination[n++] = c; break;
            }
        }

        return n;
    }

    private static string UnescapeToUtf16(ReadOnlySpan<byte> raw)
    {
        var builder = new StringBuilder(raw.Length);
        var start = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            builder.Append(Encoding.UTF8.GetString(raw[start..i]));
            var c = (char)raw[++i];
            switch (c)
            {
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'u':
                    builder.Append((char)Hex4(raw.Slice(i + 1, 4)));
                    i += 4;
                    break;
                default: builder.Append(c); break;
            }

            start = i + 1;
        }

        builder.Append(Encoding.UTF8.GetString(raw[start..]));
        return builder.ToString();
    }

    private static int Hex4(ReadOnlySpan<byte> digits) =>
        int.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
