using Grpc.Core;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Clients;

/// <summary>
/// Stands in for a backend whose address is not configured: every call fails as UNAVAILABLE with a message naming the
/// missing variable, so requests get a clear 503 and readiness stays false instead of the process failing.
/// </summary>
public sealed class UnconfiguredBackend : ITokenizerClient, IInferenceClient
{
    private readonly string _message;

    /// <param name="variable">The environment variable that should hold the address.</param>
    public UnconfiguredBackend(string variable) =>
        _message = $"No address is configured: set {variable} (the AppHost does).";

    public Task<TokenizedBatch> EncodeAsync(IReadOnlyList<string> texts, TruncationMode truncation, int maxTokens, bool addSpecialTokens, bool returnOffsets, DateTime? deadline, CancellationToken cancellationToken) =>
        Task.FromException<TokenizedBatch>(Fail());

    public Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, DateTime? deadline, CancellationToken cancellationToken) =>
        Task.FromException<string>(Fail());

    Task<TokenizerInfo> ITokenizerClient.GetInfoAsync(CancellationToken cancellationToken) => Task.FromException<TokenizerInfo>(Fail());

    public Task<EmbeddingBatch> EmbedAsync(ReadOnlyMemory<int> inputIds, ReadOnlyMemory<int> cuSeqLengths, int dimensions, bool normalize, DateTime? deadline, CancellationToken cancellationToken) =>
        Task.FromException<EmbeddingBatch>(Fail());

    Task<InferenceInfo> IInferenceClient.GetInfoAsync(CancellationToken cancellationToken) => Task.FromException<InferenceInfo>(Fail());

    public Task<bool> IsServingAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    private RpcException Fail() => new(new Status(StatusCode.Unavailable, _message));
}
