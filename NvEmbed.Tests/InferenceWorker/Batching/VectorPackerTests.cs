using System.Buffers.Binary;
using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Batching;

public class VectorPackerTests
{
    [Fact]
    public void Pack_SliceAndNormalize_UnitLengthLittleEndianPrefix()
    {
        // Arrange
        float[] pooled = [3, 4, 12, 100];

        // Act
        var bytes = VectorPacker.Pack(pooled.ToArray(), dimensions: 2, normalize: true);

        // Assert: (3, 4) / 5, read back as little-endian float32.
        Assert.Equal(8, bytes.Length);
        Assert.Equal(0.6f, BinaryPrimitives.ReadSingleLittleEndian(bytes), 6);
        Assert.Equal(0.8f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4)), 6);
    }

    [Fact]
    public void Pack_ZeroVector_StaysZeroInsteadOfNaN()
    {
        // Act
        var bytes = VectorPacker.Pack(new float[4], dimensions: 4, normalize: true);

        // Assert
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(0f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4))));
    }
}
