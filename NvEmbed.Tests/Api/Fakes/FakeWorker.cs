using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>An inference worker that derives each vector from its ids (see <see cref="FakeModel"/>).</summary>
public sealed class FakeWorker : IInferenceClient
{
    public string Fingerprint { get; set; } = "fp-1";
    public string ServedName { get; set; } = "nvidia/llama-3.2-nv-embedqa-1b-v2";
    public int[] Dimensions { get; set; } = FakeModel.Dimensions;
    public int MaxTokens { get; set; } = 64;
    public int MaxBatchTokens { get; set; }
    public bool Serving { get; set; } = true;

    /// <summary>The trace each ModelInfo call ran in (<c>default</c> when none).</summary>
    public ConcurrentQueue<ActivityTraceId> InfoTraces { get; } = new();

    /// <summary>When set, Embed fails with this status.</summary>
    public StatusCode? FailWith { get; set; }

    /// <summary>When set, Embed waits for it (honouring cancellation) before answering.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>The deadline of every Embed call, in call order.</summary>
    public ConcurrentQueue<DateTime?> Deadlines { get; } = new();

    /// <summary>Every Embed call: its ids and offsets.</summary>
    public ConcurrentQueue<(int[] Ids, int[] CuSeqLengths, int Dimensions, bool Normalize)> Calls { get; } = new();

    public async Task<EmbeddingBatch> EmbedAsync(ReadOnlyMemory<int> inputIds, ReadOnlyMemory<int> cuSeqLengths, int dimensions, bool normalize, DateTime? deadline, CancellationToken cancellationToken)
    {
        if (FailWith is { } status)
        {
            throw new RpcException(new Status(status, $"fake worker fails with {status}"));
        }

        var ids = inputIds.ToArray();
        var cu = cuSeqLengths.ToArray();
        Deadlines.Enqueue(deadline);
        Calls.Enqueue((ids, cu, dimensions, normalize));
        if (Gate is { } gate)
        {
            try
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new RpcException(new Status(StatusCode.Cancelled, "cancelled by the caller"));
            }
        }

        if (dimensions != 0 && !Dimensions.Contains(dimensions))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"dimensions {dimensions} not offered"));
        }

        var size = dimensions == 0 ? Dimensions[^1] : dimensions;
        var vectors = new List<ReadOnlyMemory<byte>>();
        for (var i = 0; i + 1 < cu.Length; i++)
        {
            vectors.Add(FakeModel.Pack(FakeModel.Vector(ids.AsSpan(cu[i], cu[i + 1] - cu[i]), size, normalize)));
        }

        return new EmbeddingBatch(vectors, size, TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(7), ids.Length);
    }

    public Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        InfoTraces.Enqueue(Activity.Current?.TraceId ?? default);
        if (FailWith is StatusCode.Unavailable)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "fake worker unavailable"));
        }

        return Task.FromResult(new InferenceInfo(Fingerprint, ServedName, MaxTokens, Dimensions, "fp32", "cpu", MaxBatchTokens, "fake worker"));
    }

    public Task<bool> IsServingAsync(CancellationToken cancellationToken)
    {
        if (FailWith is StatusCode.Unavailable)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "fake worker unavailable"));
        }

        return Task.FromResult(Serving);
    }
}
