using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>How <see cref="LlamaOnnxBuilder"/> builds a graph.</summary>
public sealed record LlamaOnnxBuildOptions
{
    /// <summary>
    /// Precision the graph computes in, and stores its weights in: fp32, or fp16/bf16 (MatMuls,
    /// attention and norms in 16 bits; softmax, norm statistics and GEMM accumulation in float32
    /// inside ONNX Runtime's kernels; pooling and normalisation in float32). Default fp32, what the CPU
    /// provider runs fastest; 16-bit graphs are for CUDA. A float32 graph keeps a 16-bit embedding
    /// table 16-bit and widens only the gathered rows.
    /// </summary>
    public SafetensorsDType Precision { get; init; } = SafetensorsDType.F32;

    /// <summary>Plain ONNX operators or ONNX Runtime's fused ones. Default <see cref="GraphVariant.Fused"/>: faster, and checked against the plain graph and a C# reference by the tests.</summary>
    public GraphVariant Variant { get; init; } = GraphVariant.Fused;

    /// <summary>A PEFT LoRA adapter directory merged into the weights. Default none.</summary>
    public string? LoraDirectory { get; init; }

    /// <summary>
    /// Weights larger than this go to <c>model.onnx.data</c> (ONNX external data). Default 128 MiB:
    /// protobuf cannot write a message over 2 GiB, and external data is page-aligned so ONNX Runtime
    /// can map it instead of copying.
    /// </summary>
    public long ExternalDataThresholdBytes { get; init; } = 128L << 20;

    /// <summary>
    /// Longest sequence the rotary tables cover. Default null: nvembed.json's max_tokens, capped by
    /// config.json's max_position_embeddings.
    /// </summary>
    public int? MaxPositions { get; init; }
}
