using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models.Generation;

/// <summary>
/// A model of the target architecture with seeded random weights. Sizes default to a tiny model
/// (fast enough for unit tests); <see cref="TargetSize"/> has the real model's sizes.
/// </summary>
public sealed record GeneratedModelSpec
{
    /// <summary>Hidden size = embedding size. Default 64.</summary>
    public int HiddenSize { get; init; } = 64;

    /// <summary>Decoder layers. Default 2.</summary>
    public int NumLayers { get; init; } = 2;

    /// <summary>Query heads. Default 4.</summary>
    public int NumHeads { get; init; } = 4;

    /// <summary>Key/value heads (grouped-query attention). Default 2.</summary>
    public int NumKeyValueHeads { get; init; } = 2;

    /// <summary>Head size. Default HiddenSize / NumHeads.</summary>
    public int? HeadDim { get; init; }

    /// <summary>MLP width. Default 128.</summary>
    public int IntermediateSize { get; init; } = 128;

    /// <summary>Vocabulary size. Default 512.</summary>
    public int VocabSize { get; init; } = 512;

    /// <summary>Context length written to config.json. Default 131072 (the target's).</summary>
    public int MaxPositionEmbeddings { get; init; } = 131072;

    /// <summary>Use the target's llama3 rope scaling (factor 32, 1, 4, 8192). Default true.</summary>
    public bool Llama3RopeScaling { get; init; } = true;

    /// <summary>Weight precision in the safetensors. Default bf16 (the target's).</summary>
    public SafetensorsDType DType { get; init; } = SafetensorsDType.BF16;

    /// <summary>
    /// Standard deviation of the projection and embedding weights. Default 0.02 (Llama's initialiser).
    /// Numerical tests use about 1/sqrt(hidden), so every layer moves the output well past the
    /// tolerances being checked.
    /// </summary>
    public float WeightStd { get; init; } = 0.02f;

    /// <summary>Random seed; the same spec and seed give the same bytes. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Write the weights as this many shards with an index (1 = a single model.safetensors). Default 1.</summary>
    public int Shards { get; init; } = 1;

    /// <summary>Prefix tensor names with <c>model.</c> (as LlamaForCausalLM checkpoints do). Default false.</summary>
    public bool ModelPrefix { get; init; }

    /// <summary>nvembed.json max_tokens. Default 8192.</summary>
    public int MaxTokens { get; init; } = 8192;

    /// <summary>nvembed.json dimensions (Matryoshka sizes). Default only the full size.</summary>
    public int[]? Dimensions { get; init; }

    /// <summary>nvembed.json served_model_name. Default: the directory's name.</summary>
    public string? ServedModelName { get; init; }

    /// <summary>nvembed.json description. Default: says the weights are generated.</summary>
    public string? Description { get; init; }

    /// <summary>tokenizer.json to copy in. Default: the Llama 3 tokenizer next to the worker (assets/llama3/tokenizer.json) when present.</summary>
    public string? TokenizerJsonPath { get; init; }

    /// <summary>The real model's sizes (hidden 2048, 16 layers, 32/8 heads, MLP 8192, vocab 128256).</summary>
    public static GeneratedModelSpec TargetSize { get; } = new()
    {
        HiddenSize = 2048,
        NumLayers = 16,
        NumHeads = 32,
        NumKeyValueHeads = 8,
        HeadDim = 64,
        IntermediateSize = 8192,
        VocabSize = 128256,
    };

    /// <summary>The config.json this spec writes.</summary>
    public LlamaConfig ToConfig() => new()
    {
        Architecture = LlamaConfig.BidirectionalArchitecture,
        HiddenSize = HiddenSize,
        NumLayers = NumLayers,
        NumHeads = NumHeads,
        NumKeyValueHeads = NumKeyValueHeads,
        HeadDim = HeadDim ?? (HiddenSize / NumHeads),
        IntermediateSize = IntermediateSize,
        VocabSize = VocabSize,
        RmsNormEps = 1e-5,
        RopeTheta = 500000,
        RopeScaling = Llama3RopeScaling ? new LlamaRopeScaling(32, 1, 4, 8192) : null,
        MaxPositionEmbeddings = MaxPositionEmbeddings,
    };
}
