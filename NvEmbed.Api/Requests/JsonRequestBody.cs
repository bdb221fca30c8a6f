using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Models;

namespace NvEmbed.Api.Requests;

/// <summary>Reads a JSON request body within the size limit and parses it, turning every failure into an <see cref="ApiException"/>.</summary>
public static class JsonRequestBody
{
    private static readonly JsonDocumentOptions s_parseOptions = new() { MaxDepth = 64 };

    /// <summary>Reads the body of <paramref name="request"/> and turns it into a request with <paramref name="parse"/>.</summary>
    /// <exception cref="ApiException">As <see cref="ReadAsync(HttpRequest, long, CancellationToken)"/>, or what <paramref name="parse"/> throws.</exception>
    public static async Task<T> ReadAsync<T>(HttpRequest request, long maxBytes, Func<JsonDocument, T> parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        using var body = await ReadAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        return parse(body);
    }

    /// <summary>The parsed body of <paramref name="request"/>.</summary>
    /// <exception cref="ApiException">UnsupportedMediaType, PayloadTooLarge, or Validation (<c>json_invalid</c>).</exception>
    public static async Task<JsonDocument> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckContentType(request.ContentType);
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        // Let Kestrel's own limit agree with ours (its default is 30 MB), so a limit above that still works.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1;
        }

        var buffer = new byte[request.ContentLength is { } length ? (int)length : Math.Min(maxBytes + 1, 16 * 1024)];
        var used = 0;
        while (true)
        {
            if (used == buffer.Length)
            {
                if (used > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }

                if (request.ContentLength is not null)
                {
                    // The body is longer than it said; Kestrel rejects that itself, TestServer might not.
                    var probe = new byte[1];
                    if (await request.Body.ReadAsync(probe, cancellationToken).ConfigureAwait(false) > 0)
                    {
                        throw Invalid("The body is longer than its Content-Length.");
                    }

                    break;
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(used), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            used += read;
        }

        if (used > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        try
        {
            return JsonDocument.Parse(buffer.AsMemory(0, used), s_parseOptions);
        }
        catch (JsonException ex)
        {
            throw Invalid(ex.Message, ex.BytePositionInLine ?? 0);
        }
    }

    private static void CheckContentType(string? contentType)
    {
        // A missing Content-Type is read as JSON; anything else must say JSON (TEI answers 415 the same way).
        if (string.IsNullOrEmpty(contentType))
        {
            return;
        }

        if (MediaTypeHeaderValue.TryParse(contentType, out var media) &&
            (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
             media.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        throw new ApiException(ApiErrorKind.UnsupportedMediaType, $"Content-Type '{contentType}' is not supported; send application/json.");
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(ApiErrorKind.PayloadTooLarge, $"The request body exceeds the limit of {maxBytes} bytes.");

    private static ApiException Invalid(string parserMessage, long position = 0) => ApiException.Invalid(new ValidationDetail
    {
        Type = "json_invalid",
        Loc = new JsonArray("body", position),
        Msg = "JSON decode error",
        Input = null,
        Ctx = new JsonObject { ["error"] = parserMessage },
    });
}
