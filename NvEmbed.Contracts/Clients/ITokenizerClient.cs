namespace NvEmbed.Contracts.Clients;

/// <summary>The tokenizer service, as the Api sees it. Failures throw <see cref="Grpc.Core.RpcException"/>.</summary>
public interface ITokenizerClient
{
    /// <summary>
    /// Tokenizes <paramref name="texts"/>; <paramref name="maxTokens"/> 0 means the tokenizer's own limit. The
    /// <paramref name="deadline"/> (UTC) is sent to the tokenizer; null = <see cref="ServiceClientOptions.CallTimeout"/> from now.
    /// </summary>
    Task<TokenizedBatch> EncodeAsync(
        IReadOnlyList<string> texts,
        TruncationMode truncation,
        int maxTokens,
        bool addSpecialTokens,
        bool returnOffsets,
        DateTime? deadline,
        CancellationToken cancellationToken);

    Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, DateTime? deadline, CancellationToken cancellationToken);

    Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>True when a replica answers its gRPC health check with SERVING.</summary>
    Task<bool> IsServingAsync(CancellationToken cancellationToken);
}
