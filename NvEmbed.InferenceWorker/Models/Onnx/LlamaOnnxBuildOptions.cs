using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>How <see cref="LlamaOnnxBuilder"/> builds a graph.</summary>
public sealed record LlamaOnnxBuildOptions
{
    /// <summary>
    /// Precision the weights are stored in inside the graph. Default null: the precision of the
    /// safetensors (bf16 for the target model), so building loses nothing. Activations are computed
    /// in float32 on every provider (ONNX Runtime's CPU provider has no fp16/bf16 MatMul).
    /// </summary>
    public SafetensorsDType? Precision { get; init; }

    /// <summary>Plain ONNX operators or ONNX Runtime's fused ones. Default <see cref="GraphVariant.Fused"/>: faster, and checked against the plain graph by the tests.</summary>
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
