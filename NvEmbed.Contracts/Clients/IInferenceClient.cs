namespace NvEmbed.Contracts.Clients;

/// <summary>The inference worker, as the Api sees it. Failures throw <see cref="Grpc.Core.RpcException"/>.</summary>
public interface IInferenceClient
{
    /// <summary>Embeds the sequences of a flat batch (see <see cref="TokenizedBatch"/>).</summary>
    /// <param name="inputIds">All sequences, concatenated.</param>
    /// <param name="cuSeqLengths">Count + 1 offsets.</param>
    /// <param name="dimensions">Matryoshka size; 0 = full.</param>
    /// <param name="normalize">L2-normalise the vectors (after slicing).</param>
    /// <param name="deadline">The caller's deadline (UTC), sent to the worker, which drops the sequences once it passes;
    /// null = <see cref="ServiceClientOptions.CallTimeout"/> from now.</param>
    /// <param name="cancellationToken">Cancels the call; the worker drops the sequences if they have not run yet.</param>
    Task<EmbeddingBatch> EmbedAsync(
        ReadOnlyMemory<int> inputIds,
        ReadOnlyMemory<int> cuSeqLengths,
        int dimensions,
        bool normalize,
        DateTime? deadline,
        CancellationToken cancellationToken);

    Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>True when a worker answers its gRPC health check with SERVING (model loaded and warmed up).</summary>
    Task<bool> IsServingAsync(CancellationToken cancellationToken);
}
