using System.Text;
using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Tests.Contracts;

/// <summary>The header encodings of the transport: grpc-message percent-encoding and grpc-timeout.</summary>
public class GrpcWireFormatTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("100%", "100%25")]
    [InlineData("é", "%C3%A9")]
    [InlineData("a\r\nb", "a%0D%0Ab")]
    [InlineData("~ ", "~ ")]
    public void Encode_Message_PercentEncodesNonPrintableAsciiAndPercent(string message, string expected)
    {
        // Act
        var encoded = GrpcMessageEncoding.Encode(message);

        // Assert
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void EncodeDecode_EveryUnicodeScalarClass_RoundTrips()
    {
        // Arrange: ASCII controls, Latin-1, CJK, symbols, a supplementary-plane emoji, and '%' sequences.
        var builder = new StringBuilder();
        for (var c = 0; c < 0x180; c++)
        {
            builder.Append((char)c);
        }

        builder.Append("東京 ✓ 😀 %41 %zz %");
        var message = builder.ToString();

        // Act
        var encoded = GrpcMessageEncoding.Encode(message);
        var decoded = GrpcMessageEncoding.Decode(encoded);

        // Assert
        Assert.All(encoded, c => Assert.InRange(c, (char)0x20, (char)0x7E));
        Assert.Equal(message, decoded);
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("%4", "%4")]
    [InlineData("%zz!", "%zz!")]
    [InlineData("%41%42", "AB")]
    [InlineData("%e6%9d%b1", "東")]
    public void Decode_InvalidOrLowercaseEscapes_KeptLiterallyOrDecoded(string encoded, string expected)
    {
        // Act
        var decoded = GrpcMessageEncoding.Decode(encoded);

        // Assert
        Assert.Equal(expected, decoded);
    }

    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("150n", 2L)]
    [InlineData("99999999H", 99_999_999L * 36_000_000_000L)]
    public void TryParse_ValidTimeout_ReturnsTicks(string value, long ticks)
    {
        // Act
        var ok = GrpcTimeout.TryParse(value, out var timeout);

        // Assert
        Assert.True(ok);
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("1s")]
    [InlineData("123456789m")]
    [InlineData(" 1S")]
    [InlineData("+1S")]
    public void TryParse_MalformedTimeout_ReturnsFalse(string value)
    {
        // Act
        var ok = GrpcTimeout.TryParse(value, out _);

        // Assert
        Assert.False(ok);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(999_999L)]
    [InlineData(1_000_001L)]
    [InlineData(123_456_789_012L)]
    [InlineData(36_000_000_000L * 1000)]
    public void Format_Timeout_FitsEightDigitsAndNeverShortens(long ticks)
    {
        // Arrange
        var timeout = TimeSpan.FromTicks(ticks);

        // Act
        var formatted = GrpcTimeout.Format(timeout);
        var parsed = GrpcTimeout.TryParse(formatted, out var back);

        // Assert
        Assert.True(parsed, formatted);
        Assert.InRange(formatted.Length, 2, 9);
        Assert.True(back >= timeout, $"{formatted} = {back} is shorter than {timeout}");
        // Units step by at most 1000x and values have 8 digits: the finest fitting unit is within 0.01%.
        Assert.True(back - timeout <= TimeSpan.FromTicks(Math.Max(1, ticks / 10_000)), $"{formatted} = {back} is too coarse for {timeout}");
    }
}
