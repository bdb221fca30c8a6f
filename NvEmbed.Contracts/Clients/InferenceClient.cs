using Grpc.Core;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Inference.V1;
using GeneratedInference = NvEmbed.Contracts.Inference.V1.Inference;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// <see cref="IInferenceClient"/> over grpc-dotnet's generated client of nvembed.inference.v1.Inference, balanced per
/// call over the worker replicas with fail-over (<see cref="ReplicaSet{TClient}"/>): retrying is safe, Embed has no
/// side effects. Register it with <see cref="ServiceClientRegistration.AddInferenceClient"/>.
/// </summary>
public sealed class InferenceClient : IInferenceClient
{
    /// <summary>The service's name in configuration (<c>services__inference__grpc__i</c>) and of its options.</summary>
    public const string Name = "inference";

    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "nvembed.inference.v1.Inference";

    private readonly ReplicaSet<GeneratedInference.InferenceClient> _replicas;
    private readonly ServiceClientOptions _options;

    internal InferenceClient(IReadOnlyList<ServiceReplica<GeneratedInference.InferenceClient>> replicas, ServiceClientOptions options, ILogger<InferenceClient> logger)
    {
        _options = options;
        _replicas = new ReplicaSet<GeneratedInference.InferenceClient>(Name, replicas, options, logger);
    }

    /// <summary>The replicas' addresses, in configuration order.</summary>
    public IReadOnlyList<Uri> Addresses => _replicas.Addresses;

    public async Task<EmbeddingBatch> EmbedAsync(
        ReadOnlyMemory<int> inputIds,
        ReadOnlyMemory<int> cuSeqLengths,
        int dimensions,
        bool normalize,
        DateTime? deadline,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimensions);
        if (cuSeqLengths.Length == 0)
        {
            throw new ArgumentException("cu_seq_lengths needs count + 1 offsets, starting at 0.", nameof(cuSeqLengths));
        }

        var request = new EmbedRequest { Dimensions = (uint)dimensions, SkipNormalize = !normalize };
        request.InputIds.Capacity = inputIds.Length;
        foreach (var id in inputIds.Span)
        {
            request.InputIds.Add(id);
        }

        request.CuSeqLengths.Capacity = cuSeqLengths.Length;
        foreach (var offset in cuSeqLengths.Span)
        {
            request.CuSeqLengths.Add(checked((uint)offset));
        }

        var response = await _replicas.CallAsync(
            (client, options) => client.EmbedAsync(request, options),
            deadline ?? DateTime.UtcNow + _options.CallTimeout, _options.AttemptFor(inputIds.Length), cancellationToken).ConfigureAwait(false);
        return ToBatch(response, cuSeqLengths.Length - 1);
    }

    public async Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await _replicas.CallAsync(
            static (client, options) => client.ModelInfoAsync(new ModelInfoRequest(), options),
            DateTime.UtcNow + _options.MetadataTimeout, _options.AttemptTimeout, cancellationToken).ConfigureAwait(false);
        var dimensions = new int[info.Dimensions.Count];
        for (var i = 0; i < dimensions.Length; i++)
        {
            dimensions[i] = checked((int)info.Dimensions[i]);
        }

        return new InferenceInfo(
            info.ModelFingerprint,
            info.ServedModelName,
            checked((int)info.MaxTokens),
            dimensions,
            info.Precision,
            info.ExecutionProvider,
            checked((int)info.MaxBatchTokens),
            info.Description);
    }

    /// <summary>True when at least one replica answers its health check with SERVING.</summary>
    public Task<bool> IsServingAsync(CancellationToken cancellationToken) => _replicas.AnyServingAsync(cancellationToken);

    private static EmbeddingBatch ToBatch(EmbedResponse response, int count)
    {
        if (response.Embeddings.Count != count)
        {
            throw Malformed($"{response.Embeddings.Count} vectors for {count} sequences");
        }

        var dimensions = checked((int)response.Dimensions);
        var vectors = new ReadOnlyMemory<byte>[count];
        for (var i = 0; i < count; i++)
        {
            var bytes = response.Embeddings[i];
            if (bytes.Length != dimensions * sizeof(float))
            {
                throw Malformed($"vector {i} has {bytes.Length} bytes, not {dimensions} float32 values");
            }

            // The parsed ByteString owns its bytes: expose them without another copy.
            vectors[i] = bytes.Memory;
        }

        return new EmbeddingBatch(
            vectors,
            dimensions,
            TimeSpan.FromMilliseconds(response.QueueMs),
            TimeSpan.FromMilliseconds(response.InferenceMs),
            checked((int)response.ComputeTokens));
    }

    private static RpcException Malformed(string detail) =>
        new(new Status(StatusCode.Internal, $"Malformed Embed response from the inference worker: {detail}."));
}
