using System.Buffers.Binary;
using NvEmbed.Api.Models;

namespace NvEmbed.Api.Embedding;

/// <summary>
/// Turns the worker's packed float32 vectors into the requested <see cref="EmbeddingType"/>.
/// </summary>
/// <remarks>
/// The definitions follow sentence-transformers' <c>quantize_embeddings</c> for the bit kinds (numpy <c>packbits</c>:
/// big-endian bit order, <c>binary</c> = packed byte − 128, <c>ubinary</c> = packed byte) and use a fixed scale for the
/// byte kinds, since the vectors are unit length: int8 = <c>clamp(round(v·127), −127, 127)</c>, uint8 =
/// <c>clamp(round((v+1)·127.5), 0, 255)</c> (rounding half away from zero). A bit vector of d values has
/// <c>ceil(d / 8)</c> bytes; unused low bits of the last byte are 0. Base64 encodes the resulting bytes
/// (float32 little-endian, or one byte per value).
/// </remarks>
public static class VectorEncoder
{
    /// <summary>Encodes one vector; <paramref name="float32"/> is little-endian float32 values and is not copied for <see cref="EmbeddingType.Float"/>.</summary>
    public static EmbeddingVector Encode(ReadOnlyMemory<byte> float32, EmbeddingType type, bool base64)
    {
        var values = float32.Span;
        var count = values.Length / sizeof(float);
        switch (type)
        {
            case EmbeddingType.Float:
                return new EmbeddingVector(float32, VectorValueKind.Float32, base64);
            case EmbeddingType.Int8:
            {
                var bytes = new byte[count];
                for (var i = 0; i < count; i++)
                {
                    bytes[i] = (byte)(sbyte)Math.Clamp(Math.Round(Read(values, i) * 127.0, MidpointRounding.AwayFromZero), -127, 127);
                }

                return new EmbeddingVector(bytes, VectorValueKind.Int8, base64);
            }

            case EmbeddingType.UInt8:
            {
                var bytes = new byte[count];
                for (var i = 0; i < count; i++)
                {
                    bytes[i] = (byte)Math.Clamp(Math.Round((Read(values, i) + 1.0) * 127.5, MidpointRounding.AwayFromZero), 0, 255);
                }

                return new EmbeddingVector(bytes, VectorValueKind.UInt8, base64);
            }

            case EmbeddingType.Binary:
            case EmbeddingType.UBinary:
            {
                var bytes = new byte[(count + 7) / 8];
                for (var i = 0; i < count; i++)
                {
                    if (Read(values, i) > 0)
                    {
                        bytes[i >> 3] |= (byte)(0x80 >> (i & 7));
                    }
                }

                if (type == EmbeddingType.Binary)
                {
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        bytes[i] = (byte)(sbyte)(bytes[i] - 128);
                    }

                    return new EmbeddingVector(bytes, VectorValueKind.Int8, base64);
                }

                return new EmbeddingVector(bytes, VectorValueKind.UInt8, base64);
            }

            default:
                throw new InvalidOperationException($"Unknown embedding type {type}. This is a bug.");
        }
    }

    private static double Read(ReadOnlySpan<byte> values, int index) =>
        BinaryPrimitives.ReadSingleLittleEndian(values[(index * sizeof(float))..]);
}
