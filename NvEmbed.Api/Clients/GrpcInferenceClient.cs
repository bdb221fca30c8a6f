using System.Runtime.InteropServices;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Inference.V1;

namespace NvEmbed.Api.Clients;

/// <summary><see cref="IInferenceClient"/> over one inference worker's gRPC API (nvembed.inference.v1), hiding the generated types.</summary>
public sealed class GrpcInferenceClient : IInferenceClient, IDisposable
{
    private const string Service = "nvembed.inference.v1.Inference";
    private readonly GrpcChannel _channel;
    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _probeTimeout;

    /// <param name="channel">The channel to the worker (owned: disposed with this client).</param>
    /// <param name="callTimeout">Deadline sent with Embed, so the worker drops work nobody waits for.</param>
    /// <param name="probeTimeout">Deadline sent with ModelInfo and health checks.</param>
    public GrpcInferenceClient(GrpcChannel channel, TimeSpan callTimeout, TimeSpan probeTimeout)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        _callTimeout = callTimeout;
        _probeTimeout = probeTimeout;
    }

    public async Task<EmbeddingBatch> EmbedAsync(ReadOnlyMemory<int> inputIds, ReadOnlyMemory<int> cuSeqLengths, int dimensions, bool normalize, CancellationToken cancellationToken)
    {
        var request = new EmbedRequest { Dimensions = (uint)Math.Max(dimensions, 0), SkipNormalize = !normalize };
        // AddRange copies an ICollection in one step; an ArraySegment over the tokenizer's array is one.
        request.InputIds.AddRange(MemoryMarshal.TryGetArray(inputIds, out var ids) ? ids : inputIds.ToArray());
        var offsets = cuSeqLengths.Span;
        request.CuSeqLengths.Capacity = offsets.Length;
        foreach (var offset in offsets)
        {
            request.CuSeqLengths.Add((uint)offset);
        }

        var response = await _channel.UnaryAsync(Service, "Embed", request, EmbedResponse.Parser, DateTime.UtcNow + _callTimeout, cancellationToken)
            .ConfigureAwait(false);
        var vectors = new ReadOnlyMemory<byte>[response.Embeddings.Count];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = response.Embeddings[i].Memory;
        }

        return new EmbeddingBatch(vectors, (int)response.Dimensions, TimeSpan.FromMilliseconds(response.QueueMs),
            TimeSpan.FromMilliseconds(response.InferenceMs), (int)response.ComputeTokens);
    }

    public async Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await _channel.UnaryAsync(Service, "ModelInfo", new ModelInfoRequest(), InferenceModelInfo.Parser, DateTime.UtcNow + _probeTimeout, cancellationToken)
            .ConfigureAwait(false);
        return new InferenceInfo(info.ModelFingerprint, info.ServedModelName, (int)info.MaxTokens, [.. info.Dimensions.Select(static d => (int)d)],
            info.Precision, info.ExecutionProvider, (int)info.MaxBatchTokens, info.Description);
    }

    public Task<bool> IsServingAsync(CancellationToken cancellationToken) => GrpcHealth.IsServingAsync(_channel, _probeTimeout, cancellationToken);

    public void Dispose() => _channel.Dispose();
}
