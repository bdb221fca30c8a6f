using Grpc.Core;

namespace NvEmbed.Api.Errors;

/// <summary>Translates a failed call to the tokenizer or the worker into the Api's error vocabulary.</summary>
public static class GrpcErrors
{
    /// <summary>The <see cref="ApiErrorKind"/> for a gRPC <paramref name="status"/> from a backend.</summary>
    public static ApiErrorKind Kind(StatusCode status) => status switch
    {
        StatusCode.ResourceExhausted => ApiErrorKind.Overloaded,
        StatusCode.Unavailable or StatusCode.FailedPrecondition or StatusCode.Cancelled or StatusCode.Aborted => ApiErrorKind.Unavailable,
        StatusCode.DeadlineExceeded => ApiErrorKind.Timeout,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => ApiErrorKind.Validation,
        _ => ApiErrorKind.Backend,
    };

    /// <summary>An <see cref="ApiException"/> for <paramref name="error"/> from <paramref name="component"/> ("tokenizer" or "inference worker").</summary>
    public static ApiException Translate(RpcException error, string component)
    {
        ArgumentNullException.ThrowIfNull(error);
        var kind = Kind(error.StatusCode);
        var detail = error.Status.Detail;
        var message = kind switch
        {
            ApiErrorKind.Overloaded => $"The {component} is overloaded; retry later.",
            ApiErrorKind.Unavailable => $"The {component} is unavailable: {detail}",
            ApiErrorKind.Timeout => $"The {component} did not answer in time.",
            ApiErrorKind.Validation => detail,
            _ => $"The {component} failed: {detail}",
        };
        return new ApiException(kind, message, innerException: error);
    }
}
