namespace NvEmbed.Api.Embedding;

/// <summary>The vectors of an <see cref="EmbedCommand"/>, in input order, and what they cost.</summary>
/// <param name="Vectors">One little-endian float32 vector per input.</param>
/// <param name="Dimensions">Values per vector.</param>
/// <param name="PromptTokens">Tokens fed to the model: prefixes and special tokens included.</param>
/// <param name="TokenizationTime">Time of the tokenizer call.</param>
/// <param name="QueueTime">Longest time a worker call waited in the worker's queue.</param>
/// <param name="InferenceTime">Longest inference time of a worker call.</param>
/// <param name="WorkerCalls">Number of worker calls the request was split into.</param>
public sealed record EmbedResult(
    IReadOnlyList<ReadOnlyMemory<byte>> Vectors,
    int Dimensions,
    int PromptTokens,
    TimeSpan TokenizationTime,
    TimeSpan QueueTime,
    TimeSpan InferenceTime,
    int WorkerCalls)
{
    /// <summary>Tokens of each input, in input order (prefix and special tokens included); they sum to <see cref="PromptTokens"/>.</summary>
    public IReadOnlyList<int> InputTokens { get; init; } = [];

    /// <summary>
    /// Time from the first worker call's start to the last one's answer, as the Api saw it: the worker's queue and
    /// inference plus the hop (serialization, transport, scheduling) both ways.
    /// </summary>
    public TimeSpan WorkerTime { get; init; }
}
