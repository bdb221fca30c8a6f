using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NvEmbed.Tokenizer.Cli;

/// <summary>
/// Reads and writes the JSON lines of the <c>encode</c> command. Strings are unescaped by hand because
/// System.Text.Json refuses lone surrogates (<c>"\ud800"</c>), which are valid JSON and which the tokenizer
/// must accept (it treats them as U+FFFD, as Hugging Face does).
/// </summary>
public static class JsonLines
{
    /// <summary>Reads the lines of <paramref name="stream"/> as UTF-8 byte arrays (without the newline), skipping empty lines.</summary>
    public static IEnumerable<byte[]> ReadLines(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[1 << 16];
        var pending = new ArrayBufferWriter<byte>();
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var offset = 0;
            while (offset < read)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', offset, read - offset);
                if (newline < 0)
                {
                    pending.Write(buffer.AsSpan(offset, read - offset));
                    break;
                }

                pending.Write(buffer.AsSpan(offset, newline - offset));
                offset = newline + 1;
                if (pending.WrittenCount > 0)
                {
                    var line = TrimCr(pending.WrittenSpan);
                    pending.ResetWrittenCount();
                    yield return line;
                }
            }
        }

        if (pending.WrittenCount > 0)
        {
            yield return TrimCr(pending.WrittenSpan);
        }
    }

    /// <summary>The string property <paramref name="name"/> of the JSON object in <paramref name="line"/>.</summary>
    /// <exception cref="FormatException">The line is not an object with that string property.</exception>
    public static string ReadStringProperty(ReadOnlySpan<byte> line, string name)
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
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new FormatException($"\"{name}\" is not a string");
                    }

                    return reader.ValueIsEscaped ? Unescape(reader.ValueSpan) : Encoding.UTF8.GetString(reader.ValueSpan);
                }

                reader.Skip();
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"a line is not valid JSON: {ex.Message}", ex);
        }

        throw new FormatException($"a line has no \"{name}\" property");
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

    /// <summary>Writes <c>{"ids":[...]}</c> (and <c>"offsets":[[s,e],...]</c> when given) and a newline.</summary>
    public static void WriteIds(Stream output, ReadOnlySpan<int> ids, ReadOnlySpan<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> number = stackalloc byte[16];
        output.Write("{\"ids\":["u8);
        for (var i = 0; i < ids.Length; i++)
        {
            if (i > 0)
            {
                output.WriteByte((byte)',');
            }

            ids[i].TryFormat(number, out var written, default, CultureInfo.InvariantCulture);
            output.Write(number[..written]);
        }

        output.WriteByte((byte)']');
        if (!offsets.IsEmpty)
        {
            output.Write(",\"offsets\":["u8);
            for (var i = 0; i < offsets.Length; i += 2)
            {
                output.Write(i > 0 ? ",["u8 : "["u8);
                offsets[i].TryFormat(number, out var a, default, CultureInfo.InvariantCulture);
                output.Write(number[..a]);
                output.WriteByte((byte)',');
                offsets[i + 1].TryFormat(number, out var b, default, CultureInfo.InvariantCulture);
                output.Write(number[..b]);
                output.WriteByte((byte)']');
            }

            output.WriteByte((byte)']');
        }

        output.Write("}\n"u8);
    }

    private static byte[] TrimCr(ReadOnlySpan<byte> line) => (line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line).ToArray();

    private static string Unescape(ReadOnlySpan<byte> raw)
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
                    builder.Append((char)int.Parse(Encoding.ASCII.GetString(raw.Slice(i + 1, 4)), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: builder.Append(c); break;
            }

            start = i + 1;
        }

        builder.Append(Encoding.UTF8.GetString(raw[start..]));
        return builder.ToString();
    }
}
