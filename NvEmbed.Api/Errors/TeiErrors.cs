using System.Net;
using NvEmbed.Api.Models;

namespace NvEmbed.Api.Errors;

/// <summary>The TEI surface's mapping of <see cref="ApiErrorKind"/> to HTTP status and body (TEI's own table).</summary>
public static class TeiErrors
{
    /// <summary>The HTTP status of <paramref name="kind"/> on this surface.</summary>
    public static HttpStatusCode Status(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.Validation or ApiErrorKind.TooLong => HttpStatusCode.UnprocessableEntity,
        ApiErrorKind.Empty => HttpStatusCode.BadRequest,
        ApiErrorKind.NotFound => HttpStatusCode.NotFound,
        ApiErrorKind.PayloadTooLarge => HttpStatusCode.RequestEntityTooLarge,
        ApiErrorKind.UnsupportedMediaType => HttpStatusCode.UnsupportedMediaType,
        // NOTE: TEI answers 429 both when its own admission (--max-concurrent-requests) is full and when overloaded.
        ApiErrorKind.Overloaded or ApiErrorKind.QueueFull => HttpStatusCode.TooManyRequests,
        ApiErrorKind.Unavailable or ApiErrorKind.Timeout => HttpStatusCode.ServiceUnavailable,
        ApiErrorKind.Backend => HttpStatusCode.FailedDependency,
        _ => throw new InvalidOperationException($"Unmapped error kind {kind}. This is a bug."),
    };

    /// <summary>TEI's <c>error_type</c> for <paramref name="kind"/>.</summary>
    public static string ErrorType(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.Validation or ApiErrorKind.PayloadTooLarge or ApiErrorKind.UnsupportedMediaType or ApiErrorKind.NotFound => "validation",
        ApiErrorKind.TooLong => "tokenizer",
        ApiErrorKind.Empty => "empty",
        ApiErrorKind.Overloaded or ApiErrorKind.QueueFull => "overloaded",
        ApiErrorKind.Unavailable or ApiErrorKind.Timeout => "unhealthy",
        ApiErrorKind.Backend => "backend",
        _ => throw new InvalidOperationException($"Unmapped error kind {kind}. This is a bug."),
    };

    /// <summary>The body <c>{"error": message, "error_type": type}</c>.</summary>
    public static TeiErrorBody Body(ApiException error) => new() { Error = error.Message, ErrorType = ErrorType(error.Kind) };
}
