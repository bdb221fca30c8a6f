using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Inference.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// A worker replica for the client tests. Each sequence's vector is
/// [sum of its ids, its length, the replica's number] (3 float32 values). Calls can be held at a gate,
/// and the replica can be told to answer UNAVAILABLE.
/// </summary>
public sealed class FakeInferenceWorker(int replica)
{
    public const int Dimensions = 3;

    private int _calls;
    private volatile TaskCompletionSource _gate = CompletedGate();

    /// <summary>Embed calls this replica received.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>When true, Embed fails with UNAVAILABLE (a replica that is shutting down).</summary>
    public bool AnswerUnavailable { get; set; }

    /// <summary>When set, Embed fails with this status (e.g. RESOURCE_EXHAUSTED: a replica whose queue is full).</summary>
    public GrpcStatusCode? FailWith { get; set; }

    /// <summary>Holds Embed calls until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public void Map(WebApplication app)
    {
        app.MapGrpcUnary<EmbedRequest, EmbedResponse>(InferenceClient.ServiceName, "Embed", EmbedAsync);
        app.MapGrpcUnary<ModelInfoRequest, InferenceModelInfo>(InferenceClient.ServiceName, "ModelInfo", (_, _) =>
            Task.FromResult(new InferenceModelInfo
            {
                ModelFingerprint = "model-fp",
                ServedModelName = "fake/model",
                MaxTokens = 8192,
                Dimensions = { 1, 2, Dimensions },
                Precision = "fp32",
                ExecutionProvider = "cpu",
                MaxBatchTokens = 16384,
                Description = $"replica {replica}",
            }));
    }

    private async Task<EmbedResponse> EmbedAsync(EmbedRequest request, GrpcServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        if (AnswerUnavailable)
        {
            throw new GrpcCallException(GrpcStatusCode.Unavailable, $"replica {replica} is draining");
        }

        if (FailWith is { } status)
        {
            throw new GrpcCallException(status, $"replica {replica} refuses the call");
        }

        await _gate.Task.WaitAsync(context.CancellationToken);
        var response = new EmbedResponse { Dimensions = Dimensions, QueueMs = 1.5, InferenceMs = 2.5, ComputeTokens = (uint)request.InputIds.Count };
        for (var i = 0; i + 1 < request.CuSeqLengths.Count; i++)
        {
            var start = (int)request.CuSeqLengths[i];
            var end = (int)request.CuSeqLengths[i + 1];
            float sum = 0;
            for (var t = start; t < end; t++)
            {
                sum += request.InputIds[t];
            }

            float[] vector = [sum, end - start, replica];
            response.Embeddings.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(vector.AsSpan())));
        }

        return response;
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }
}
