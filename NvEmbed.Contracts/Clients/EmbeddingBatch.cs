namespace NvEmbed.Contracts.Clients;

/// <summary>The worker's answer to one Embed call.</summary>
/// <param name="Vectors">One vector per sequence, as <c>Dimensions</c> little-endian float32 values.</param>
/// <param name="Dimensions">Values per vector.</param>
/// <param name="QueueTime">Time the sequences waited in the worker's queue.</param>
/// <param name="InferenceTime">Time of the batches that ran them.</param>
/// <param name="ComputeTokens">Tokens computed for this call, padding excluded.</param>
public sealed record EmbeddingBatch(
    IReadOnlyList<ReadOnlyMemory<byte>> Vectors,
    int Dimensions,
    TimeSpan QueueTime,
    TimeSpan InferenceTime,
    int ComputeTokens);
