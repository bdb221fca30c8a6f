using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Inference.V1;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// <see cref="IInferenceClient"/> over gRPC (nvembed.inference.v1.Inference) with client-side load
/// balancing over the worker replicas: each call goes to the replica with the fewest calls in flight
/// (ties in turn), and a replica that failed with UNAVAILABLE is skipped for
/// <see cref="ServiceClientOptions.UnavailableBackoff"/> while the call is retried on another one.
/// Retrying is safe: an Embed call has no side effects.
/// </summary>
public sealed class InferenceClient : IInferenceClient, IDisposable
{
    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "nvembed.inference.v1.Inference";

    private readonly InferenceReplica[] _replicas;
    private readonly ServiceClientOptions _options;
    private readonly ILogger _logger;
    private int _turn;

    /// <summary>A client of the worker replicas at <paramref name="addresses"/> (one channel each).</summary>
    public InferenceClient(IReadOnlyList<Uri> addresses, ServiceClientOptions? options = null, ILogger<InferenceClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0)
        {
            throw new ArgumentException("An inference client needs at least one worker address.", nameof(addresses));
        }

        _options = options ?? new ServiceClientOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _replicas = new InferenceReplica[addresses.Count];
        for (var i = 0; i < addresses.Count; i++)
        {
            _replicas[i] = new InferenceReplica(i, new GrpcChannel(addresses[i], _options.Channel));
        }
    }

    /// <summary>A client of one worker.</summary>
    public InferenceClient(Uri address, ServiceClientOptions? options = null, ILogger<InferenceClient>? logger = null)
        : this([address], options, logger)
    {
    }

    /// <summary>The replicas' addresses, in configuration order.</summary>
    public IReadOnlyList<Uri> Addresses => Array.ConvertAll(_replicas, r => r.Channel.Address);

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
        var response = await CallAsync(
            channel => channel.UnaryAsync(ServiceName, "Embed", request, EmbedResponse.Parser, deadline, cancellationToken));
        return ToBatch(response, cuSeqLengths.Length - 1);
    }

    public async Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var deadline = _options.MetadataDeadline();
        var info = await CallAsync(
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
    public async Task<bool> IsServingAsync(CancellationToken cancellationToken)
    {
        var deadline = _options.MetadataDeadline();
        var checks = new Task<bool>[_replicas.Length];
        for (var i = 0; i < checks.Length; i++)
        {
            checks[i] = new HealthClient(_replicas[i].Channel).IsServingAsync(deadline, cancellationToken);
        }

        foreach (var serving in await Task.WhenAll(checks))
        {
            if (serving)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        foreach (var replica in _replicas)
        {
            replica.Dispose();
        }
    }

    /// <summary>Runs <paramref name="call"/> on the least busy replica, moving on to another one after UNAVAILABLE.</summary>
    private async Task<T> CallAsync<T>(Func<GrpcChannel, Task<T>> call)
    {
        bool[]? tried = null;
        GrpcCallException? lastUnavailable = null;
        for (var attempt = 0; attempt < _replicas.Length; attempt++)
        {
            var replica = Pick(tried);
            if (replica is null)
            {
                break;
            }

            replica.Enter();
            try
            {
                var result = await call(replica.Channel);
                replica.MarkAvailable();
                return result;
            }
            catch (GrpcCallException ex) when (ex.Status == GrpcStatusCode.Unavailable)
            {
                replica.MarkUnavailable(_options.UnavailableBackoff);
                ClientLog.ReplicaUnavailable(_logger, replica.Channel.Address, _options.UnavailableBackoff.TotalMilliseconds, ex.Message);
                lastUnavailable = ex;
                tried ??= new bool[_replicas.Length];
                tried[replica.Index] = true;
            }
            finally
            {
                replica.Leave();
            }
        }

        throw (Exception?)lastUnavailable ?? new InvalidOperationException("No replica was tried. This is a bug.");
    }

    /// <summary>
    /// The replica to call: not yet tried by this call; among those, one not backing off; then the
    /// fewest calls in flight; ties broken by a rotating start so that idle replicas share the load.
    /// When every untried replica is backing off, the one whose back-off ends first is tried anyway:
    /// failing fast with UNAVAILABLE is no better than one more attempt.
    /// </summary>
    private InferenceReplica? Pick(bool[]? tried)
    {
        var now = Environment.TickCount64;
        var start = (int)((uint)Interlocked.Increment(ref _turn) % (uint)_replicas.Length);
        InferenceReplica? best = null;
        var bestBackingOff = true;
        for (var k = 0; k < _replicas.Length; k++)
        {
            var replica = _replicas[(start + k) % _replicas.Length];
            if (tried is not null && tried[replica.Index])
            {
                continue;
            }

            var backingOff = replica.IsBackingOff(now);
            var better = best is null
                || (bestBackingOff && !backingOff)
                || (bestBackingOff == backingOff && (backingOff
                    ? replica.UnavailableUntil < best.UnavailableUntil
                    : replica.InFlight < best.InFlight));
            if (better)
            {
                best = replica;
                bestBackingOff = backingOff;
            }
        }

        return best;
    }

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
