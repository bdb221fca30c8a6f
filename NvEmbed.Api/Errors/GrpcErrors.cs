using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Api.Errors;

/// <summary>Translates a failed call to the tokenizer or the worker into the Api's error vocabulary.</summary>
public static class GrpcErrors
{
    /// <summary>The <see cref="ApiErrorKind"/> for a gRPC <paramref name="status"/> from a backend.</summary>
    public static ApiErrorKind Kind(GrpcStatusCode status) => status switch
    {
        GrpcStatusCode.ResourceExhausted => ApiErrorKind.Overloaded,
        GrpcStatusCode.Unavailable or GrpcStatusCode.FailedPrecondition or GrpcStatusCode.Cancelled or GrpcStatusCode.Aborted => ApiErrorKind.Unavailable,
        GrpcStatusCode.DeadlineExceeded => ApiErrorKind.Timeout,
        GrpcStatusCode.InvalidArgument or GrpcStatusCode.OutOfRange => ApiErrorKind.Validation,
        _ => ApiErrorKind.Backend,
    };

    /// <summary>An <see cref="ApiException"/> for <paramref name="error"/> from <paramref name="component"/> ("tokenizer" or "inference worker").</summary>
    public static ApiException Translate(GrpcCallException error, string component)
    {
        ArgumentNullException.ThrowIfNull(error);
        var kind = Kind(error.Status);
        var message = kind switch
        {
            ApiErrorKind.Overloaded => $"The {component} is overloaded; retry later.",
            ApiErrorKind.Unavailable => $"The {component} is unavailable: {error.Message}",
            ApiErrorKind.Timeout => $"The {component} did not answer in time.",
            ApiErrorKind.Validation => error.Message,
            _ => $"The {component} failed: {error.Message}",
        };
        return new ApiException(kind, message, innerException: error);
    }
}
