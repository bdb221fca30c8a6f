namespace NvEmbed.Tokenizer.Grpc;

/// <summary>Settings of the tokenizer service. Environment variables and the command line map onto them in
/// <see cref="Extensions.TokenizerServiceExtensions"/>.</summary>
public sealed class TokenizerServiceOptions
{
    /// <summary>The model directory (<c>NVEMBED_MODEL_DIR</c>): its tokenizer.json is served, its nvembed.json gives the
    /// token limit and served name, and it is fingerprinted for ModelInfo. Default: none (then <see cref="TokenizerJson"/> is required).</summary>
    public string? ModelDir { get; set; }

    /// <summary>A tokenizer.json that overrides the model directory's (<c>--tokenizer</c> or <c>NVEMBED_TOKENIZER_JSON</c>).
    /// Default: none.</summary>
    public string? TokenizerJson { get; set; }

    /// <summary>Encoding threads. Default: the number of cores, since tokenizing is CPU-bound and nothing else in this
    /// process competes for them.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Work items (chunks of up to <see cref="ChunkSize"/> texts) that may wait for a worker before new requests
    /// are refused with RESOURCE_EXHAUSTED. Default 256: at the measured ~1 ms per chunk of short texts per core, a full
    /// queue is a fraction of a second of work, so waiting callers see bounded latency and the Api can retry elsewhere.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>Texts per work item: a large request is spread over the workers in chunks of this size. Default 32.</summary>
    public int ChunkSize { get; set; } = 32;

    /// <summary>Per-input size guard, in UTF-16 code units: longer texts get an INPUT_ERROR_KIND_TOO_LARGE error instead of
    /// being tokenized. Default 1,048,576: an 8,192-token input is about 40,000 characters of prose, so this leaves
    /// 25x room while bounding one input's cost to well under a second of one core.</summary>
    public int MaxInputChars { get; set; } = 1 << 20;
}
