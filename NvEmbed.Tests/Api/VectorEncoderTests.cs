using NvEmbed.Api.Embedding;
using NvEmbed.Api.Models;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

public sealed class VectorEncoderTests
{
    [Fact]
    public void Encode_Float_KeepsTheWorkersBytesWithoutCopy()
    {
        // Arrange
        var bytes = FakeModel.Pack([0.5f, -0.25f]);

        // Act
        var vector = VectorEncoder.Encode(bytes, EmbeddingType.Float, base64: true);

        // Assert
        Assert.True(vector.Bytes.Span == bytes.AsSpan());
        Assert.Equal(VectorValueKind.Float32, vector.Kind);
    }

    [Fact]
    public void Encode_AlternatingSigns_PacksBitsMostSignificantFirst()
    {
        // Arrange: +,-,+,-,... gives 0b10101010 per byte; the last 4 of 12 values pad with zero bits.
        var values = Enumerable.Range(0, 12).Select(i => i % 2 == 0 ? 0.3f : -0.3f).ToArray();

        // Act
        var ubinary = VectorEncoder.Encode(FakeModel.Pack(values), EmbeddingType.UBinary, base64: false);
        var binary = VectorEncoder.Encode(FakeModel.Pack(values), EmbeddingType.Binary, base64: false);

        // Assert
        Assert.Equal(new byte[] { 0b1010_1010, 0b1010_0000 }, ubinary.Bytes.ToArray());
        Assert.Equal(new[] { 0b1010_1010 - 128, 0b1010_0000 - 128 }, binary.Bytes.ToArray().Select(b => (int)(sbyte)b));
    }

    [Fact]
    public void Encode_Int8AndUInt8_ScaleClampAndRound()
    {
        // Arrange: the ends of the range, zero, a midpoint and an out-of-range value (unnormalised vectors).
        float[] values = [1f, -1f, 0f, 0.5f, 2f];

        // Act
        var int8 = VectorEncoder.Encode(FakeModel.Pack(values), EmbeddingType.Int8, base64: false).Bytes.ToArray().Select(b => (int)(sbyte)b);
        var uint8 = VectorEncoder.Encode(FakeModel.Pack(values), EmbeddingType.UInt8, base64: false).Bytes.ToArray().Select(b => (int)b);

        // Assert
        Assert.Equal([127, -127, 0, 64, 127], int8);
        Assert.Equal([255, 0, 128, 191, 255], uint8);
    }
}
