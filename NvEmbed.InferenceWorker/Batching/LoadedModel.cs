using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>A model opened for serving: one backend per session, and what the worker reports about it.</summary>
/// <param name="Backends">One per session, all of the same model.</param>
/// <param name="Fingerprint">The model directory's fingerprint (see ModelFingerprint).</param>
/// <param name="ServedModelName">The model's served name.</param>
/// <param name="Dimensions">Matryoshka sizes, ascending, ending with the full size.</param>
/// <param name="Description">A line for humans.</param>
public sealed record LoadedModel(
    IReadOnlyList<IEmbeddingBackend> Backends,
    string Fingerprint,
    string ServedModelName,
    IReadOnlyList<int> Dimensions,
    string Description);
