namespace NvEmbed.InferenceWorker.Batching;

/// <summary>The scheduler's answer to one request.</summary>
/// <param name="Vectors">One vector per sequence, in request order, as <paramref name="Dimensions"/> little-endian float32 values.</param>
/// <param name="Dimensions">Values per vector.</param>
/// <param name="QueueTime">Longest time one of the request's sequences waited before its batch ran.</param>
/// <param name="InferenceTime">Sum of the durations of the (distinct) batches that ran the request's sequences.</param>
/// <param name="ComputeTokens">The request's own tokens, padding excluded.</param>
public sealed record EmbedResult(byte[][] Vectors, int Dimensions, TimeSpan QueueTime, TimeSpan InferenceTime, int ComputeTokens);
