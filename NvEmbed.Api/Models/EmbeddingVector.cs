using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>
/// One encoded vector, written by <see cref="EmbeddingVectorJsonConverter"/> straight from its bytes: a JSON array of
/// numbers, or a base64 string of the bytes themselves.
/// </summary>
/// <param name="Bytes">Little-endian float32 values, or one byte per value for the 8-bit kinds.</param>
/// <param name="Kind">How to read <paramref name="Bytes"/>.</param>
/// <param name="Base64">Write the bytes as one base64 string instead of an array.</param>
[JsonConverter(typeof(EmbeddingVectorJsonConverter))]
public readonly record struct EmbeddingVector(ReadOnlyMemory<byte> Bytes, VectorValueKind Kind, bool Base64);
