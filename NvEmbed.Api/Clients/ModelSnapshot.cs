using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Clients;

/// <summary>What the Api knows about the model it serves: read from the worker and the tokenizer, cached by <see cref="BackendState"/>.</summary>
/// <param name="ServedNames">Names clients may send as <c>model</c>; the first is the primary one.</param>
/// <param name="Dimensions">Matryoshka sizes, ascending; the last is the full size.</param>
/// <param name="MaxTokens">Token limit per input, special tokens included.</param>
/// <param name="MaxBatchTokens">The worker's token budget per batch (0 when it reports none).</param>
/// <param name="Inference">The worker's own description.</param>
/// <param name="Tokenizer">The tokenizer's own description.</param>
public sealed record ModelSnapshot(
    IReadOnlyList<string> ServedNames,
    IReadOnlyList<int> Dimensions,
    int MaxTokens,
    int MaxBatchTokens,
    InferenceInfo Inference,
    TokenizerInfo Tokenizer)
{
    /// <summary>The name shown first in /v1/models and echoed when a request names no model.</summary>
    public string PrimaryName => ServedNames[0];

    /// <summary>The full output size.</summary>
    public int FullDimensions => Dimensions[^1];

    /// <summary>The fingerprint both the worker and the tokenizer report.</summary>
    public string Fingerprint => Inference.ModelFingerprint;
}
