namespace NvEmbed.Api.Models;

/// <summary>The element type of an <see cref="EmbeddingVector"/>'s bytes.</summary>
public enum VectorValueKind
{
    /// <summary>Little-endian IEEE float32, 4 bytes each.</summary>
    Float32,

    /// <summary>Signed bytes (int8, binary).</summary>
    Int8,

    /// <summary>Unsigned bytes (uint8, ubinary).</summary>
    UInt8,
}
