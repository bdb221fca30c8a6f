using System.Net.Sockets;
using System.Text.Json;
using Yarp.ReverseProxy.Forwarder;

namespace NvEmbed.Gateway.Proxy;

/// <summary>
/// The gateway's own answers (401, 413, 429, failed forwards): a JSON <c>{"error": ...}</c> body for HTTP clients, a
/// trailers-only gRPC status for gRPC clients (KServe on <c>NIM_GRPC_API_PORT</c>).
/// </summary>
public static class ProxyErrors
{
    /// <summary>
    /// Proxy-pipeline step: YARP answers a failed forward with a bare status; clients of an embedding API expect a body
    /// (or a gRPC status) they can show.
    /// </summary>
    public static async Task WriteForwarderErrorsAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var (status, message) = error.Error switch
        {
            ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, "No Api replica is available."),
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "The Api did not answer in time."),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => (0, ""),
            // NOTE: a chunked body over Kestrel's MaxRequestBodySize fails while YARP streams it: still a 413.
            ForwarderError.RequestBodyClient when Find<BadHttpRequestException>(error.Exception) is { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (StatusCodes.Status413PayloadTooLarge, TooLargeMessage(context)),
            ForwarderError.RequestBodyClient => (StatusCodes.Status400BadRequest, "The request body could not be read."),
            _ when IsConnectFailure(error) => (StatusCodes.Status503ServiceUnavailable, "No Api replica accepted the connection."),
            _ => (StatusCodes.Status502BadGateway, "The Api replica failed to answer."),
        };
        if (status != 0)
        {
            await WriteAsync(context, status, message, CancellationToken.None);
        }
    }

    /// <summary>The message of a 413 for this gateway's limit.</summary>
    public static string TooLargeMessage(HttpContext context, long? length = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limit = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
        return length is { } bytes
            ? $"Request body of {bytes} bytes exceeds the limit of {limit} bytes."
            : $"The request body exceeds the limit of {limit} bytes.";
    }

    /// <summary>True when the forward failed because the replica refused (or could not take) the connection.</summary>
    public static bool IsConnectFailure(IForwarderErrorFeature error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Error == ForwarderError.Request
            && (Find<HttpRequestException>(error.Exception) is { HttpRequestError: HttpRequestError.ConnectionError }
                || Find<SocketException>(error.Exception) is { SocketErrorCode: SocketError.ConnectionRefused });
    }

    /// <summary>Answers <paramref name="status"/> with <paramref name="message"/>, as JSON or as a gRPC status.</summary>
    public static Task WriteAsync(HttpContext context, int status, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        if (IsGrpc(context.Request))
        {
            // Trailers-only gRPC response: HTTP 200 with the status in the headers (gRPC over HTTP/2, "Responses").
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = GrpcStatus(status);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }), cancellationToken);
    }

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    // gRPC status codes (grpc/doc/statuscodes.md); UNAVAILABLE is the one gRPC clients retry.
    private static string GrpcStatus(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status400BadRequest => "3", // INVALID_ARGUMENT
        StatusCodes.Status401Unauthorized => "16", // UNAUTHENTICATED
        StatusCodes.Status413PayloadTooLarge => "8", // RESOURCE_EXHAUSTED
        StatusCodes.Status504GatewayTimeout => "4", // DEADLINE_EXCEEDED
        _ => "14", // UNAVAILABLE: 429, 502, 503
    };

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
