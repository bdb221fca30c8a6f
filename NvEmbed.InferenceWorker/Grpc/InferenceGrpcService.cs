using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Inference.V1;
using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.InferenceWorker.Grpc;

/// <summary>
/// The <c>nvembed.inference.v1.Inference</c> service: Embed and ModelInfo over the scheduler. Errors are
/// mapped from the scheduler's <see cref="EmbedErrorKind"/> to gRPC statuses here, once.
/// </summary>
public sealed class InferenceGrpcService
{
    /// <summary>The gRPC service name (also the name gRPC health reports for).</summary>
    public const string ServiceName = "nvembed.inference.v1.Inference";

    private readonly InferenceRuntime _runtime;
    private readonly SchedulerOptions _options;
    private readonly ILogger _logger;

    public InferenceGrpcService(InferenceRuntime runtime, IOptions<SchedulerOptions> options, ILogger<InferenceGrpcService> logger)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _runtime = runtime;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Embeds the request's sequences; throws <see cref="GrpcCallException"/> with the status a caller acts on.</summary>
    public async Task<EmbedResponse> EmbedAsync(EmbedRequest request, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scheduler = _runtime.Scheduler;
        var model = _runtime.Model;
        if (scheduler is null || model is null)
        {
            throw new GrpcCallException(GrpcStatusCode.Unavailable, $"The inference worker is not serving yet: {_runtime.StatusMessage}.");
        }

        var dimensions = (int)Math.Min(request.Dimensions, int.MaxValue);
        if (dimensions != 0 && !model.Dimensions.Contains(dimensions))
        {
            throw new GrpcCallException(GrpcStatusCode.InvalidArgument,
                $"dimensions {dimensions} is not served by this model; choose one of {string.Join(", ", model.Dimensions)} (or 0 for the full size).");
        }

        var ids = new int[request.InputIds.Count];
        request.InputIds.CopyTo(ids, 0);
        var offsets = new int[request.CuSeqLengths.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            var offset = request.CuSeqLengths[i];
            if (offset > int.MaxValue)
            {
                throw new GrpcCallException(GrpcStatusCode.InvalidArgument, $"cu_seq_lengths[{i}] = {offset} is out of range.");
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

            throw new GrpcCallException(ToStatus(ex.Kind), ex.Message, ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // NOTE: a caller that went away is not an error (house style); the transport answers CANCELLED or DEADLINE_EXCEEDED.
            SchedulerLog.CallCancelled(_logger, deadline is { } due && due <= DateTime.UtcNow ? "deadline" : "cancelled");
            throw new GrpcCallException(
                deadline is { } d && d <= DateTime.UtcNow ? GrpcStatusCode.DeadlineExceeded : GrpcStatusCode.Cancelled,
                "The call was cancelled before its sequences ran.");
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
            throw new GrpcCallException(GrpcStatusCode.Unavailable, $"The inference worker is not serving yet: {_runtime.StatusMessage}.");
        }

        var info = new InferenceModelInfo
        {
            ModelFingerprint = model.Fingerprint,
            ServedModelName = model.ServedModelName,
            MaxTokens = (uint)scheduler.MaxSequenceLength,
            Precision = scheduler.Info.Precision,
            ExecutionProvider = scheduler.Info.ExecutionProvider,
            MaxBatchTokens = (uint)_options.MaxBatchTokens,
            Description = model.Description,
        };
        foreach (var dimension in model.Dimensions)
        {
            info.Dimensions.Add((uint)dimension);
        }

        return info;
    }

    /// <summary>The gRPC status for each of the scheduler's error kinds.</summary>
    public static GrpcStatusCode ToStatus(EmbedErrorKind kind) => kind switch
    {
        EmbedErrorKind.Validation => GrpcStatusCode.InvalidArgument,
        EmbedErrorKind.Overloaded => GrpcStatusCode.ResourceExhausted,
        EmbedErrorKind.DeadlineExceeded => GrpcStatusCode.DeadlineExceeded,
        EmbedErrorKind.OutOfMemory => GrpcStatusCode.Unavailable,
        EmbedErrorKind.Backend => GrpcStatusCode.Internal,
        EmbedErrorKind.Unavailable => GrpcStatusCode.Unavailable,
        _ => throw new InvalidOperationException($"Unmapped error kind {kind}. This is a bug."),
    };
}
