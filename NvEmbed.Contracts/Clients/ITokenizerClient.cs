namespace NvEmbed.Contracts.Clients;

/// <summary>The tokenizer service, as the Api sees it. Failures throw <see cref="Grpc.GrpcCallException"/>.</summary>
public interface ITokenizerClient
{
    /// <summary>Tokenizes <paramref name="texts"/>; <paramref name="maxTokens"/> 0 means the tokenizer's own limit.</summary>
    Task<TokenizedBatch> EncodeAsync(
        IReadOnlyList<string> texts,
        TruncationMode truncation,
        int maxTokens,
        bool addSpecialTokens,
        bool returnOffsets,
        CancellationToken cancellationToken);

    Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, CancellationToken cancellationToken);

    Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>True when the service answers its gRPC health check with SERVING.</summary>
    Task<bool> IsServingAsync(CancellationToken cancellationToken);
}
