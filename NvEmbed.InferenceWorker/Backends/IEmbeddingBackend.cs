namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// Runs a model on one device. The scheduler owns batching; a backend runs one padded batch at a
/// time and is called from one thread at a time.
/// </summary>
public interface IEmbeddingBackend : IDisposable
{
    /// <summary>What the backend serves.</summary>
    BackendInfo Info { get; }

    /// <summary>
    /// Runs <paramref name="batch"/> and writes one mean-pooled vector per row (over the row's real
    /// tokens, padding excluded) into <paramref name="pooled"/>, <c>Rows × Info.HiddenSize</c> floats,
    /// row-major. Vectors may already be L2-normalised (see <see cref="BackendInfo.OutputsNormalized"/>),
    /// and already cut to each row's Matryoshka size (see <see cref="BackendInfo.AppliesDimensions"/>).
    /// </summary>
    void Run(BackendBatch batch, Span<float> pooled);
}

/// <summary>A padded batch: <c>Rows × SequenceLength</c> ids, row-major, each row's real tokens first.</summary>
/// <param name="Rows">Number of sequences.</param>
/// <param name="SequenceLength">Length of the longest row; shorter rows are padded.</param>
/// <param name="InputIds">Rows × SequenceLength ids; padding positions hold the pad id (0).</param>
/// <param name="Lengths">Real length of each row (the attention mask is 1 for the first Lengths[r] positions).</param>
/// <param name="Dimensions">
/// The Matryoshka size of each row (1 to the hidden size), for a backend that
/// <see cref="BackendInfo.AppliesDimensions"/>; empty = every row at full size.
/// </param>
public readonly record struct BackendBatch(int Rows, int SequenceLength, ReadOnlyMemory<long> InputIds, ReadOnlyMemory<int> Lengths, ReadOnlyMemory<int> Dimensions = default);

/// <summary>Facts about a loaded backend.</summary>
/// <param name="HiddenSize">Values per pooled vector (the full embedding size).</param>
/// <param name="MaxTokens">Longest sequence the model accepts.</param>
/// <param name="Precision">"fp32", "fp16" or "bf16".</param>
/// <param name="ExecutionProvider">"cpu" or "cuda".</param>
/// <param name="OutputsNormalized">True when <see cref="IEmbeddingBackend.Run"/> already L2-normalises.</param>
/// <param name="AppliesDimensions">
/// True when <see cref="IEmbeddingBackend.Run"/> cuts each row to <see cref="BackendBatch.Dimensions"/> and
/// L2-normalises what it keeps (the values after it are zero), so the caller only slices.
/// </param>
public sealed record BackendInfo(int HiddenSize, int MaxTokens, string Precision, string ExecutionProvider, bool OutputsNormalized, bool AppliesDimensions = false);
