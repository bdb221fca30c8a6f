using Grpc.Core;

namespace NvEmbed.Api.Errors;

/// <summary>The KServe v2 gRPC surface's answer to each <see cref="ApiErrorKind"/>: a gRPC status with the same message.</summary>
public static class KServeErrors
{
    /// <summary>
    /// The words Triton puts in an UNAVAILABLE status when a model's queue is full. nv-ingest retries a gRPC failure
    /// only when it is UNAVAILABLE and its message contains them; anything else fails its batch at once.
    /// </summary>
    public const string QueueFullMessage = "Exceeds maximum queue size";

    /// <summary>The gRPC status for <paramref name="kind"/>.</summary>
    public static StatusCode Status(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.Validation or ApiErrorKind.Empty or ApiErrorKind.TooLong or ApiErrorKind.UnsupportedMediaType => StatusCode.InvalidArgument,
        ApiErrorKind.NotFound => StatusCode.NotFound,
        ApiErrorKind.PayloadTooLarge => StatusCode.ResourceExhausted,
        // NOTE: a full queue (the Api's admission limit or the worker's) is Triton's UNAVAILABLE "Exceeds maximum queue
        // size", the only overload nv-ingest retries; RESOURCE_EXHAUSTED failed its batches.
        ApiErrorKind.Overloaded or ApiErrorKind.QueueFull => StatusCode.Unavailable,
        ApiErrorKind.Unavailable => StatusCode.Unavailable,
        ApiErrorKind.Timeout => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    /// <summary>The <see cref="RpcException"/> a KServe handler throws for <paramref name="error"/>.</summary>
    public static RpcException Translate(ApiException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = error.Kind is ApiErrorKind.Overloaded or ApiErrorKind.QueueFull
            ? $"{QueueFullMessage}: {error.Message}"
            : error.Message;
        return new RpcException(new Grpc.Core.Status(Status(error.Kind), message));
    }
}
