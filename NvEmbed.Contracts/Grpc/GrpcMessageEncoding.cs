using System.Buffers;
using System.Text;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// The percent-encoding of the <c>grpc-message</c> header (doc/PROTOCOL-HTTP2.md): the message is
/// UTF-8 encoded, then every byte outside printable ASCII (0x20–0x7E) and the '%' byte itself is
/// written as <c>%XX</c> (upper-case hex). Decoding is lenient, as the spec asks: a '%' that does not
/// start a valid escape is kept as it is.
/// </summary>
internal static class GrpcMessageEncoding
{
    /// <summary>Encodes <paramref name="message"/> for the grpc-message header.</summary>
    public static string Encode(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!NeedsEncoding(message))
        {
            return message;
        }

        var maxBytes = Encoding.UTF8.GetMaxByteCount(message.Length);
        var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            var count = Encoding.UTF8.GetBytes(message, rented);
            var builder = new StringBuilder(count * 3);
            for (var i = 0; i < count; i++)
            {
                var b = rented[i];
                if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
                {
                    builder.Append((char)b);
                }
                else
                {
                    builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
                }
            }

            return builder.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes a grpc-message header value; invalid escapes are kept literally.</summary>
    public static string Decode(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (!encoded.Contains('%', StringComparison.Ordinal))
        {
            return encoded;
        }

        var rented = ArrayPool<byte>.Shared.Rent(encoded.Length * 3);
        try
        {
            var count = 0;
            for (var i = 0; i < encoded.Length; i++)
            {
                var c = encoded[i];
                if (c == '%' && i + 2 < encoded.Length && TryHex(encoded[i + 1], out var hi) && TryHex(encoded[i + 2], out var lo))
                {
                    rented[count++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else if (c < 0x80)
                {
                    rented[count++] = (byte)c;
                }
                else
                {
                    // Not valid in a header, but keep it rather than lose it.
                    count += Encoding.UTF8.GetBytes(encoded.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < encoded.Length ? 2 : 1), rented.AsSpan(count));
                    if (char.IsHighSurrogate(c) && i + 1 < encoded.Length)
                    {
                        i++;
                    }
                }
            }

            return Encoding.UTF8.GetString(rented, 0, count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool NeedsEncoding(string message)
    {
        foreach (var c in message)
        {
            if (c is < (char)0x20 or > (char)0x7E or '%')
            {
                return true;
            }
        }

        return false;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'A' and <= 'F' => c - 'A' + 10,
            >= 'a' and <= 'f' => c - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
