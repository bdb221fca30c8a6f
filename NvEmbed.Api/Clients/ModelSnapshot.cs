using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Clients;

/// <summary>What the Api knows about the model it serves: read from the worker and the tokenizer, cached by <see cref="BackendState"/>.</summary>
/// <param name="ServedNames">Names clients may send as <c>model</c> (see <see cref="ServedModelNames"/>); the first is the primary one.</param>
/// <param name="SingleModel">True when every served name denotes the one model: the HTTP routes then serve any requested name.</param>
/// <param name="Dimensions">Matryoshka sizes, ascending; the last is the full size.</param>
/// <param name="MaxTokens">Token limit per input, special tokens included.</param>
/// <param name="MaxBatchTokens">The worker's token budget per batch (0 when it reports none).</param>
/// <param name="Inference">The worker's own description.</param>
/// <param name="Tokenizer">The tokenizer's own description.</param>
public sealed record ModelSnapshot(
    IReadOnlyList<string> ServedNames,
    bool SingleModel,
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

    /// <summary>The served name <paramref name="requested"/> stands for, in <c>/</c> or <c>_</c> form and any case; null when none.</summary>
    public string? Find(string requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        foreach (var name in ServedNames)
        {
            if (ServedModelNames.Matches(requested, name))
            {
                return name;
            }
        }

        return null;
    }
}
