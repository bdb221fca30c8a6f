namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>Which operators the built graph uses (names: <see cref="GraphVariants"/>).</summary>
public enum GraphVariant
{
    /// <summary>
    /// Standard ONNX operators only (MatMul, Softmax, ReduceMean, ...), float32 compute: runs on any
    /// provider and is the graph the fused ones are checked against.
    /// </summary>
    Plain,

    /// <summary>
    /// ONNX Runtime's fused operators, in float32, float16 or bfloat16: com.microsoft
    /// SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization (residual add and RMSNorm in one
    /// kernel), com.microsoft RotaryEmbedding, and the ONNX Attention operator (opset 24) with
    /// <c>kv_num_heads</c> for grouped-query attention (K/V heads are never repeated) and the padding
    /// as <c>nonpad_kv_seqlen</c>, which ONNX Runtime's CUDA provider runs with its flash-attention
    /// kernels in 16 bits. In float32 each layer also has a flash path (an <c>If</c>): long batches without
    /// padding run com.microsoft MultiHeadAttention without a mask, which the CPU provider tiles instead of
    /// holding rows × heads × length² scores.
    /// </summary>
    Fused,

    /// <summary>
    /// As <see cref="Fused"/>, but attention is com.microsoft MultiHeadAttention with the K/V heads
    /// repeated to the query heads and the padding mask as <c>key_padding_mask</c>. Kept to compare
    /// kernels on a GPU.
    /// </summary>
    FusedMha,
}
