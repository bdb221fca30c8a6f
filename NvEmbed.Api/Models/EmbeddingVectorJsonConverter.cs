using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>
/// Writes an <see cref="EmbeddingVector"/> without an intermediate array or a string per number: floats go from the
/// worker's packed bytes to <see cref="Utf8JsonWriter.WriteNumberValue(float)"/> (shortest round-trip form), and
/// base64 is encoded from the same bytes. Vectors are never read.
/// </summary>
public sealed class EmbeddingVectorJsonConverter : JsonConverter<EmbeddingVector>
{
    public override EmbeddingVector Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Embedding vectors are only written.");

    public override void Write(Utf8JsonWriter writer, EmbeddingVector value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var bytes = value.Bytes.Span;
        if (value.Base64)
        {
            writer.WriteBase64StringValue(bytes);
            return;
        }

        writer.WriteStartArray();
        switch (value.Kind)
        {
            case VectorValueKind.Float32:
                for (var i = 0; i + 4 <= bytes.Length; i += 4)
                {
                    writer.WriteNumberValue(BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]));
                }

                break;
            case VectorValueKind.Int8:
                foreach (var b in bytes)
                {
                    writer.WriteNumberValue((sbyte)b);
                }

                break;
            case VectorValueKind.UInt8:
                foreach (var b in bytes)
                {
                    writer.WriteNumberValue(b);
                }

                break;
            default:
                throw new InvalidOperationException($"Unknown vector kind {value.Kind}. This is a bug.");
        }

        writer.WriteEndArray();
    }
}
