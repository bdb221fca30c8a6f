using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Metrics;
using NvEmbed.Api.Models;
using NvEmbed.Api.Options;

namespace NvEmbed.Api.Errors;

/// <summary>
/// Turns every failure of an Api endpoint into the answer of its surface (<see cref="NimErrors"/> or
/// <see cref="TeiErrors"/>), counts every answer, and treats a client that went away as no error at all.
/// </summary>
public sealed class ApiErrorMiddleware
{
    /// <summary>The status recorded (never sent) for a request whose client went away (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private readonly RequestDelegate _next;
    private readonly ILogger<ApiErrorMiddleware> _logger;
    private readonly ApiMetrics _metrics;
    private readonly IOptionsMonitor<ApiOptions> _options;

    public ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger, ApiMetrics metrics, IOptionsMonitor<ApiOptions> options)
    {
        _next = next;
        _logger = logger;
        _metrics = metrics;
        _options = options;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await _next(context);
            if (context.Response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed
                && !context.Response.HasStarted && context.Response.ContentType is null && !IsGrpc(context.Request))
            {
                // No route, or none for this method: FastAPI's body, as the NIM answers, instead of an empty one.
                var detail = context.Response.StatusCode == StatusCodes.Status404NotFound ? "Not Found" : "Method Not Allowed";
                await Endpoints.HttpWriter.WriteJsonAsync(context, new RouteErrorBody(detail), ApiJsonContext.Default.RouteErrorBody, context.Response.StatusCode);
            }
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // NOTE: a client that cancels is not an error (aspnetcore RateLimiting does the same): Debug, no 5xx.
            Log.ClientDisconnected(_logger, context.Request.Path);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = ClientClosedRequest;
            }
        }
        catch (ApiException ex)
        {
            await WriteAsync(context, ex);
        }
        catch (RpcException ex)
        {
            await WriteAsync(context, GrpcErrors.Translate(ex, "backend"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (a chunked body): the same answer as a declared length over the limit.
            var message = $"The request body exceeds the limit of {_options.CurrentValue.MaxRequestBodyBytes} bytes.";
            await WriteAsync(context, new ApiException(ApiErrorKind.PayloadTooLarge, message, innerException: ex));
        }
        catch (BadHttpRequestException ex)
        {
            await WriteAsync(context, new ApiException(ApiErrorKind.Validation, ex.Message, innerException: ex));
        }
        catch (Exception ex)
        {
            Log.Unexpected(_logger, context.Request.Path, ex);
            await WriteAsync(context, new ApiException(ApiErrorKind.Backend, "The server failed unexpectedly; the failure is logged.", innerException: ex), logged: true);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            _metrics.Answered(route, context.Response.StatusCode);
        }
    }

    private async Task WriteAsync(HttpContext context, ApiException error, bool logged = false)
    {
        var path = context.Request.Path.ToString();
        if (!logged)
        {
            switch (error.Kind)
            {
                case ApiErrorKind.Backend:
                    Log.Unexpected(_logger, path, error);
                    break;
                case ApiErrorKind.Overloaded or ApiErrorKind.QueueFull or ApiErrorKind.Unavailable or ApiErrorKind.Timeout:
                    Log.BackendFailed(_logger, path, error.Kind.ToString(), error.Message);
                    break;
                default:
                    Log.Rejected(_logger, path, error.Kind.ToString(), error.Message);
                    break;
            }
        }

        if (context.Response.HasStarted)
        {
            Log.FailedAfterStart(_logger, path, error.Message);
            context.Abort();
            return;
        }

        context.Response.Clear();
        if (error.Kind is ApiErrorKind.Overloaded or ApiErrorKind.QueueFull or ApiErrorKind.Unavailable)
        {
            context.Response.Headers.RetryAfter = _options.CurrentValue.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        if (Surface(context) == ErrorSurface.Tei)
        {
            await WriteBodyAsync(context, (int)TeiErrors.Status(error.Kind), TeiErrors.Body(error));
        }
        else
        {
            await WriteBodyAsync(context, (int)NimErrors.Status(error.Kind), NimErrors.Body(error));
        }
    }

    private static Task WriteBodyAsync(HttpContext context, int status, object body) => body switch
    {
        NimValidationErrorBody validation => Endpoints.HttpWriter.WriteJsonAsync(context, validation, ApiJsonContext.Default.NimValidationErrorBody, status),
        NimErrorBody nim => Endpoints.HttpWriter.WriteJsonAsync(context, nim, ApiJsonContext.Default.NimErrorBody, status),
        TeiErrorBody tei => Endpoints.HttpWriter.WriteJsonAsync(context, tei, ApiJsonContext.Default.TeiErrorBody, status),
        _ => throw new InvalidOperationException($"Unknown error body {body.GetType()}. This is a bug."),
    };

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    private static ErrorSurface Surface(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is not null)
        {
            foreach (var item in endpoint.Metadata)
            {
                if (item is ErrorSurface surface)
                {
                    return surface;
                }
            }
        }

        return ErrorSurface.Nim;
    }
}
