using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Inference.V1;
using NvEmbed.InferenceWorker.Batching;
using InferenceBase = NvEmbed.Contracts.Inference.V1.Inference.InferenceBase;

namespace NvEmbed.InferenceWorker.Grpc;

/// <summary>
/// The <c>nvembed.inference.v1.Inference</c> service (grpc-dotnet): Embed and ModelInfo over the scheduler. Errors are
/// mapped from the scheduler's <see cref="EmbedErrorKind"/> to gRPC statuses here, once. The call's deadline and
/// cancellation reach the scheduler, which drops the call's sequences before the model once either fires.
/// </summary>
public sealed class InferenceGrpcService : InferenceBase
{
    /// <summary>The gRPC service name (also the name gRPC health reports for).</summary>
    public const string ServiceName = "nvembed.inference.v1.Inference";

    private readonly InferenceRuntime _runtime;
    private readonly ILogger _logger;

    public InferenceGrpcService(InferenceRuntime runtime, ILogger<InferenceGrpcService> logger)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(logger);
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>Embeds the request's sequences; throws <see cref="RpcException"/> with the status a caller acts on.</summary>
    public override Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // NOTE: grpc-dotnet reports "no deadline" as DateTime.MaxValue.
        var deadline = context.Deadline == DateTime.MaxValue ? (DateTime?)null : context.Deadline;
        return EmbedAsync(request, deadline, context.CancellationToken);
    }

    /// <summary>ModelInfo: what the worker serves.</summary>
    public override Task<InferenceModelInfo> ModelInfo(ModelInfoRequest request, ServerCallContext context) => Task.FromResult(GetModelInfo());

    /// <summary>Embeds the request's sequences under <paramref name="deadline"/> (UTC, null for none).</summary>
    public async Task<EmbedResponse> EmbedAsync(EmbedRequest request, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scheduler = _runtime.Scheduler;
        var model = _runtime.Model;
        if (scheduler is null || model is null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The inference worker is not serving yet: {_runtime.StatusMessage}."));
        }

        var dimensions = (int)Math.Min(request.Dimensions, int.MaxValue);
        if (dimensions != 0 && !model.Dimensions.Contains(dimensions))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"dimensions {dimensions} is not served by this model; choose one of {string.Join(", ", model.Dimensions)} (or 0 for the full size)."));
        }

        var ids = new int[request.InputIds.Count];
        request.InputIds.CopyTo(ids, 0);
        var offsets = new int[request.CuSeqLengths.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            var offset = request.CuSeqLengths[i];
            if (offset > int.MaxValue)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"cu_seq_lengths[{i}] = {offset} is out of range."));
            }

            offsets[i] = (int)offset;
        }

        EmbedResult result;
        try
        {
            result = await scheduler.EmbedAsync(ids, offsets, dimensions, !request.SkipNormalize, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (EmbeddingException ex)
        {
            if (ex.Kind is EmbedErrorKind.Validation or EmbedErrorKind.Overloaded)
            {
                SchedulerLog.Refused(_logger, ex.Message);
            }

            throw new RpcException(new Status(ToStatus(ex.Kind), ex.Message, ex));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // NOTE: a caller that went away is not an error (house style); grpc-dotnet answers CANCELLED or DEADLINE_EXCEEDED.
            var passed = deadline is { } due && due <= DateTime.UtcNow;
            SchedulerLog.CallCancelled(_logger, passed ? "deadline" : "cancelled");
            throw new RpcException(new Status(
                passed ? StatusCode.DeadlineExceeded : StatusCode.Cancelled,
                "The call was cancelled before its sequences ran."));
        }

        var response = new EmbedResponse
        {
            Dimensions = (uint)result.Dimensions,
            QueueMs = result.QueueTime.TotalMilliseconds,
            InferenceMs = result.InferenceTime.TotalMilliseconds,
            ComputeTokens = (uint)result.ComputeTokens,
        };
        foreach (var vector in result.Vectors)
        {
            // The vector arrays are fresh per call and never written again: wrap them without a copy.
            response.Embeddings.Add(UnsafeByteOperations.UnsafeWrap(vector));
        }

        return response;
    }

    /// <summary>What the worker serves.</summary>
    public InferenceModelInfo GetModelInfo()
    {
        var scheduler = _runtime.Scheduler;
        var model = _runtime.Model;
        if (scheduler is null || model is null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The inference worker is not serving yet: {_runtime.StatusMessage}."));
        }

        var info = new InferenceModelInfo
        {
            ModelFingerprint = model.Fingerprint,
            ServedModelName = model.ServedModelName,
            MaxTokens = (uint)scheduler.MaxSequenceLength,
            Precision = scheduler.Info.Precision,
            ExecutionProvider = scheduler.Info.ExecutionProvider,
            MaxBatchTokens = (uint)scheduler.BatchTokens, // lowered after an out-of-memory, so callers size their calls to what fits
            Description = model.Description,
        };
        foreach (var dimension in model.Dimensions)
        {
            info.Dimensions.Add((uint)dimension);
        }

        return info;
    }

    /// <summary>The gRPC status for each of the scheduler's error kinds.</summary>
    public static StatusCode ToStatus(EmbedErrorKind kind) => kind switch
    {
        EmbedErrorKind.Validation => StatusCode.InvalidArgument,
        EmbedErrorKind.Overloaded => StatusCode.ResourceExhausted,
        EmbedErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        EmbedErrorKind.OutOfMemory => StatusCode.Unavailable,
        EmbedErrorKind.Backend => StatusCode.Internal,
        EmbedErrorKind.Unavailable => StatusCode.Unavailable,
        _ => throw new InvalidOperationException($"Unmapped error kind {kind}. This is a bug."),
    };
}
