using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Contracts.Inference.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// A worker replica for the client tests. Each sequence's vector is
/// [sum of its ids, its length, the replica's number] (3 float32 values). Calls can be held at a gate,
/// and the replica can be told to answer UNAVAILABLE.
/// </summary>
public sealed class FakeInferenceWorker(int replica) : Inference.InferenceBase, IGrpcTestService
{
    public const int Dimensions = 3;

    private int _calls;
    private volatile TaskCompletionSource _gate = CompletedGate();

    /// <summary>Embed calls this replica received.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>When true, Embed fails with UNAVAILABLE (a replica that is shutting down).</summary>
    public bool AnswerUnavailable { get; set; }

    /// <summary>When set, Embed fails with this status (e.g. RESOURCE_EXHAUSTED: a replica whose queue is full).</summary>
    public StatusCode? FailWith { get; set; }

    /// <summary>Holds Embed calls until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    /// <summary>The deadline the last Embed call carried (UTC; <see cref="DateTime.MaxValue"/> for none).</summary>
    public DateTime LastDeadline { get; private set; }

    /// <summary>Embed calls whose caller cancelled (or whose deadline passed) while they were held.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    private int _cancelled;

    public void Register(IServiceCollection services) => services.AddSingleton(this);

    public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<FakeInferenceWorker>();

    public override Task<InferenceModelInfo> ModelInfo(ModelInfoRequest request, ServerCallContext context) =>
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
            });

    public override async Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        LastDeadline = context.Deadline;
        if (AnswerUnavailable)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"replica {replica} is draining"));
        }

        if (FailWith is { } status)
        {
            throw new RpcException(new Status(status, $"replica {replica} refuses the call"));
        }

        try
        {
            await _gate.Task.WaitAsync(context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }

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
