using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Inference.V1;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// <see cref="IInferenceClient"/> over gRPC (nvembed.inference.v1.Inference) with client-side load
/// balancing over the worker replicas: each call goes to the replica with the fewest calls in flight
/// (ties in turn), and a replica that failed with UNAVAILABLE (connection refused or lost, or the
/// worker's own UNAVAILABLE) is skipped for <see cref="ServiceClientOptions.UnavailableBackoff"/>
/// while the call is retried on another one. Retrying is safe: Embed has no side effects.
/// </summary>
public sealed class InferenceClient : IInferenceClient, IDisposable
{
    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "nvembed.inference.v1.Inference";

    private readonly ReplicaSet _replicas;
    private readonly ServiceClientOptions _options;

    /// <summary>A client of the worker replicas at <paramref name="addresses"/> (one channel each).</summary>
    public InferenceClient(IReadOnlyList<Uri> addresses, ServiceClientOptions? options = null, ILogger<InferenceClient>? logger = null)
    {
        _options = options ?? new ServiceClientOptions();
        _replicas = new ReplicaSet(addresses, _options, (ILogger?)logger ?? NullLogger.Instance);
    }

    /// <summary>A client of one worker.</summary>
    public InferenceClient(Uri address, ServiceClientOptions? options = null, ILogger<InferenceClient>? logger = null)
        : this([address], options, logger)
    {
    }

    /// <summary>The replicas' addresses, in configuration order.</summary>
    public IReadOnlyList<Uri> Addresses => _replicas.Addresses;

    /// <summary>A client of every worker in configuration (<c>services__inference__grpc__0..N</c>).</summary>
    public static InferenceClient FromConfiguration(IConfiguration configuration, ServiceClientOptions? options = null, ILogger<InferenceClient>? logger = null)
    {
        var addresses = ServiceAddresses.FromConfiguration(configuration, "inference", "grpc");
        return addresses.Count > 0
            ? new InferenceClient(addresses, options, logger)
            : throw new InvalidOperationException("No inference worker address: set services__inference__grpc__0 (the AppHost does).");
    }

    public async Task<EmbeddingBatch> EmbedAsync(
        ReadOnlyMemory<int> inputIds,
        ReadOnlyMemory<int> cuSeqLengths,
        int dimensions,
        bool normalize,
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

        var deadline = _options.CallDeadline();
        var response = await _replicas.CallAsync(
            channel => channel.UnaryAsync(ServiceName, "Embed", request, EmbedResponse.Parser, deadline, cancellationToken));
        return ToBatch(response, cuSeqLengths.Length - 1);
    }

    public async Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var deadline = _options.MetadataDeadline();
        var info = await _replicas.CallAsync(
            channel => channel.UnaryAsync(ServiceName, "ModelInfo", new ModelInfoRequest(), InferenceModelInfo.Parser, deadline, cancellationToken));
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

    public void Dispose() => _replicas.Dispose();

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

    private static GrpcCallException Malformed(string detail) =>
        new(GrpcStatusCode.Internal, $"Malformed Embed response from the inference worker: {detail}.");
}
