using System.Buffers.Binary;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.Tests.InferenceWorker.Models;

public sealed class SafetensorsTests
{
    private static SafetensorsWriter.Entry FloatEntry(string name, SafetensorsDType dtype, long[] shape, float[] values) =>
        new(name, dtype, shape, stream =>
        {
            var bytes = new byte[values.Length * SafetensorsDTypes.SizeOf(dtype)];
            Numerics.FromSingle(dtype, values, bytes);
            stream.Write(bytes);
        });

    [Theory]
    [InlineData(SafetensorsDType.F32)]
    [InlineData(SafetensorsDType.F16)]
    [InlineData(SafetensorsDType.BF16)]
    public void Open_WrittenFile_ReadsValuesBackAtTheirPrecision(SafetensorsDType dtype)
    {
        // Arrange
        using var temp = new TempDirectory();
        var path = temp.Combine("t.safetensors");
        var values = Enumerable.Range(0, 24).Select(i => (float)Math.Sin(i) * 3.3f).ToArray();
        SafetensorsWriter.Write(path, [FloatEntry("a.weight", dtype, [4, 6], values)]);

        // Act
        using var file = SafetensorsFile.Open(path);
        var tensor = file.Tensors["a.weight"];
        var read = new float[tensor.ElementCount];
        Numerics.ToSingle(tensor.DType, file.GetBytes(tensor), read);

        // Assert: each value equals the original rounded to the format, computed independently here.
        Assert.Equal([4L, 6L], tensor.Shape);
        for (var i = 0; i < values.Length; i++)
        {
            var expected = dtype switch
            {
                SafetensorsDType.F32 => values[i],
                SafetensorsDType.F16 => (float)(Half)values[i],
                _ => RoundToBFloat16(values[i]),
            };
            Assert.Equal(expected, read[i]);
        }
    }

    [Fact]
    public void Open_TruncatedFile_FailsNamingTheTensorAndSizes()
    {
        // Arrange
        using var temp = new TempDirectory();
        var path = temp.Combine("t.safetensors");
        SafetensorsWriter.Write(path, [FloatEntry("first", SafetensorsDType.F32, [8], new float[8]), FloatEntry("second", SafetensorsDType.F32, [16, 4], new float[64])]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));

        // Assert
        Assert.Contains("'second'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[16, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFile_FailsClearly()
    {
        // Arrange
        using var temp = new TempDirectory();
        var path = temp.Combine("t.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));

        // Assert
        Assert.Contains("header length 1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_OffsetsNotMatchingShape_FailsWithExpectedAndActualBytes()
    {
        // Arrange: a hand-written header whose offsets cover 12 bytes for a [2, 2] F32 tensor (16 bytes).
        using var temp = new TempDirectory();
        var path = temp.Combine("t.safetensors");
        var header = """{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"""u8.ToArray();
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes((long)header.Length));
            stream.Write(header);
            stream.Write(new byte[16]);
        }

        // Act
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));

        // Assert
        Assert.Contains("'w'", error.Message, StringComparison.Ordinal);
        Assert.Contains("16 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("span 12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_WrongShape_FailsWithBothShapes()
    {
        // Arrange
        using var temp = new TempDirectory();
        SafetensorsWriter.Write(temp.Combine(SafetensorsWeights.SingleFileName), [FloatEntry("model.norm.weight", SafetensorsDType.BF16, [8], new float[8])]);
        using var weights = SafetensorsWeights.Open(temp.Path);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => weights.Get("norm.weight", [16]));
        var missing = Assert.Throws<ModelFormatException>(() => weights.Get("layers.0.mlp.up_proj.weight", [32, 16]));

        // Assert: the model. prefix is found without it; errors name the tensor and both shapes.
        Assert.Contains("'norm.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[8]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[16]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'layers.0.mlp.up_proj.weight' is missing", missing.Message, StringComparison.Ordinal);
        Assert.Contains("[32, 16]", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ShardedIndex_FindsTensorsInEveryShard()
    {
        // Arrange
        using var temp = new TempDirectory();
        SafetensorsWriter.Write(temp.Combine("a.safetensors"), [FloatEntry("x", SafetensorsDType.F32, [2], [1f, 2f])]);
        SafetensorsWriter.Write(temp.Combine("b.safetensors"), [FloatEntry("y", SafetensorsDType.F16, [1], [5f])]);
        File.WriteAllText(temp.Combine(SafetensorsWeights.IndexFileName), """{"metadata":{},"weight_map":{"x":"a.safetensors","y":"b.safetensors"}}""");

        // Act
        using var weights = SafetensorsWeights.Open(temp.Path);

        // Assert
        Assert.Equal([1f, 2f], weights.ReadSingle("x", [2]));
        Assert.Equal([5f], weights.ReadSingle("y", [1]));
    }

    [Fact]
    public void Open_IndexNamingMissingShard_Fails()
    {
        // Arrange
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine(SafetensorsWeights.IndexFileName), """{"weight_map":{"x":"gone.safetensors"}}""");

        // Act
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(temp.Path));

        // Assert
        Assert.Contains("gone.safetensors", error.Message, StringComparison.Ordinal);
    }

    private static float RoundToBFloat16(float value)
    {
        // Round to nearest even on the upper 16 bits, by arithmetic on the float's bits.
        var bits = BitConverter.SingleToUInt32Bits(value);
        var lower = bits & 0xFFFF;
        var upper = bits >> 16;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1))
        {
            upper++;
        }

        return BitConverter.UInt32BitsToSingle(upper << 16);
    }
}
