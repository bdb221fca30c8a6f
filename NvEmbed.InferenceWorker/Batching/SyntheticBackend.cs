using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// A stand-in backend for the scheduler benchmark where no model is at hand: each batch costs a fixed
/// time plus a time per padded token (sleeping, so it takes no CPU from the scheduler being measured),
/// and writes a deterministic vector per row. The defaults follow an accelerator's shape: a fixed
/// cost per pass (weight reads, kernel launches) that batching amortises.
/// </summary>
public sealed class SyntheticBackend(int hiddenSize, int maxTokens, TimeSpan perBatch, TimeSpan perThousandTokens) : IEmbeddingBackend
{
    /// <inheritdoc />
    public BackendInfo Info { get; } = new(hiddenSize, maxTokens, "fp32", "synthetic", OutputsNormalized: false);

    /// <inheritdoc />
    public void Run(BackendBatch batch, Span<float> pooled)
    {
        var cost = perBatch + (perThousandTokens * (batch.Rows * (double)batch.SequenceLength / 1000));
        Thread.Sleep(cost);
        var ids = batch.InputIds.Span;
        for (var r = 0; r < batch.Rows; r++)
        {
            var vector = pooled.Slice(r * hiddenSize, hiddenSize);
            var first = ids[r * batch.SequenceLength];
            for (var j = 0; j < vector.Length; j++)
            {
                vector[j] = ((first + j) % 17) - 8;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
