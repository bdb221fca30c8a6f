using System.Net;
using NvEmbed.Api.Models;

namespace NvEmbed.Api.Errors;

/// <summary>The NIM/OpenAI surface's mapping of <see cref="ApiErrorKind"/> to HTTP status and body.</summary>
public static class NimErrors
{
    /// <summary>The message NIM's validator puts above every schema error (observed).</summary>
    public const string ValidationMessage = "Your request cannot be validated, it is incorrect.";

    /// <summary>The HTTP status of <paramref name="kind"/> on this surface.</summary>
    public static HttpStatusCode Status(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.Validation or ApiErrorKind.Empty or ApiErrorKind.TooLong => HttpStatusCode.BadRequest,
        ApiErrorKind.NotFound => HttpStatusCode.NotFound,
        ApiErrorKind.PayloadTooLarge => HttpStatusCode.RequestEntityTooLarge,
        ApiErrorKind.UnsupportedMediaType => HttpStatusCode.UnsupportedMediaType,
        ApiErrorKind.Overloaded => HttpStatusCode.TooManyRequests,
        // NOTE: NIM 2.x answers 503 when its queue (NIM_SERVER_MAX_QUEUE_SIZE) is full.
        ApiErrorKind.QueueFull or ApiErrorKind.Unavailable or ApiErrorKind.Timeout => HttpStatusCode.ServiceUnavailable,
        ApiErrorKind.Backend => HttpStatusCode.InternalServerError,
        _ => throw new InvalidOperationException($"Unmapped error kind {kind}. This is a bug."),
    };

    /// <summary>The body: NIM's validation body for schema errors, <c>{"error": message}</c> otherwise.</summary>
    public static object Body(ApiException error) =>
        error.Detail is { } detail
            ? new NimValidationErrorBody { Message = ValidationMessage, Detail = detail }
            : new NimErrorBody { Error = error.Message };
}
