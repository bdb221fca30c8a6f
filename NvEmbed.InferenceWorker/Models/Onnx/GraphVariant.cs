namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>Which operators the built graph uses.</summary>
public enum GraphVariant
{
    /// <summary>
    /// Standard ONNX operators only (MatMul, Softmax, ReduceMean, ...): runs on any provider and is
    /// the graph the fused one is checked against.
    /// </summary>
    Plain,

    /// <summary>
    /// ONNX Runtime's fused operators where both its CPU and CUDA providers implement them:
    /// SimplifiedLayerNormalization, com.microsoft SkipSimplifiedLayerNormalization, RotaryEmbedding
    /// and MultiHeadAttention (with the padding mask as key_padding_mask).
    /// </summary>
    Fused,
}
