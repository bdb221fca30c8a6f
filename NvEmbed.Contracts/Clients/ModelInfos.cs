namespace NvEmbed.Contracts.Clients;

/// <summary>What a tokenizer service has loaded.</summary>
public sealed record TokenizerInfo(
    string ModelFingerprint,
    string TokenizerFingerprint,
    int VocabSize,
    int MaxTokens,
    IReadOnlyDictionary<string, int> SpecialTokens,
    string ModelType,
    string ServedModelName);

/// <summary>What an inference worker has loaded.</summary>
public sealed record InferenceInfo(
    string ModelFingerprint,
    string ServedModelName,
    int MaxTokens,
    IReadOnlyList<int> Dimensions,
    string Precision,
    string ExecutionProvider,
    int MaxBatchTokens,
    string Description);
