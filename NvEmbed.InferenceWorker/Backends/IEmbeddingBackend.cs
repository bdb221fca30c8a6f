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
    /// row-major. Vectors may already be L2-normalised (see <see cref="BackendInfo.OutputsNormalized"/>).
    /// </summary>
    void Run(BackendBatch batch, Span<float> pooled);
}

/// <summary>A padded batch: <c>Rows × SequenceLength</c> ids, row-major, each row's real tokens first.</summary>
/// <param name="Rows">Number of sequences.</param>
/// <param name="SequenceLength">Length of the longest row; shorter rows are padded.</param>
/// <param name="InputIds">Rows × SequenceLength ids; padding positions hold the pad id (0).</param>
/// <param name="Lengths">Real length of each row (the attention mask is 1 for the first Lengths[r] positions).</param>
public readonly record struct BackendBatch(int Rows, int SequenceLength, ReadOnlyMemory<long> InputIds, ReadOnlyMemory<int> Lengths);

/// <summary>Facts about a loaded backend.</summary>
/// <param name="HiddenSize">Values per pooled vector (the full embedding size).</param>
/// <param name="MaxTokens">Longest sequence the model accepts.</param>
/// <param name="Precision">"fp32", "fp16" or "bf16".</param>
/// <param name="ExecutionProvider">"cpu" or "cuda".</param>
/// <param name="OutputsNormalized">True when <see cref="IEmbeddingBackend.Run"/> already L2-normalises.</param>
public sealed record BackendInfo(int HiddenSize, int MaxTokens, string Precision, string ExecutionProvider, bool OutputsNormalized);
