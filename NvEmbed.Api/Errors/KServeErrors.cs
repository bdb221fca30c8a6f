using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Api.Errors;

/// <summary>The KServe v2 gRPC surface's answer to each <see cref="ApiErrorKind"/>: a gRPC status with the same message.</summary>
public static class KServeErrors
{
    /// <summary>The gRPC status for <paramref name="kind"/>.</summary>
    public static GrpcStatusCode Status(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.Validation or ApiErrorKind.Empty or ApiErrorKind.TooLong or ApiErrorKind.UnsupportedMediaType => GrpcStatusCode.InvalidArgument,
        ApiErrorKind.NotFound => GrpcStatusCode.NotFound,
        ApiErrorKind.PayloadTooLarge or ApiErrorKind.Overloaded or ApiErrorKind.QueueFull => GrpcStatusCode.ResourceExhausted,
        ApiErrorKind.Unavailable => GrpcStatusCode.Unavailable,
        ApiErrorKind.Timeout => GrpcStatusCode.DeadlineExceeded,
        _ => GrpcStatusCode.Internal,
    };

    /// <summary>The <see cref="GrpcCallException"/> a handler throws for <paramref name="error"/>.</summary>
    public static GrpcCallException Translate(ApiException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new GrpcCallException(Status(error.Kind), error.Message);
    }
}
