namespace NvEmbed.Api.Embedding;

/// <summary>
/// The element type of returned vectors (NIM 2.x <c>embedding_type</c>). Vectors are L2-normalised, so every value
/// lies in [-1, 1]; the quantised kinds are defined on that range (see <see cref="VectorEncoder"/>).
/// </summary>
public enum EmbeddingType
{
    /// <summary>float32 values.</summary>
    Float,

    /// <summary>One signed byte per value: <c>clamp(round(v × 127), -127, 127)</c>.</summary>
    Int8,

    /// <summary>One unsigned byte per value: <c>clamp(round((v + 1) × 127.5), 0, 255)</c>.</summary>
    UInt8,

    /// <summary>Sign bits (1 when v &gt; 0), 8 per byte, first value in the most significant bit, each byte minus 128 (a signed byte).</summary>
    Binary,

    /// <summary>Sign bits as <see cref="Binary"/>, each byte as is (0..255).</summary>
    UBinary,
}
