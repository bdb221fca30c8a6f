using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// Serves one unary gRPC call over an ASP.NET Core HTTP/2 request (doc/PROTOCOL-HTTP2.md): validates
/// the request, reads the one length-prefixed message straight from the body pipe (no copy), runs the
/// handler under the call's deadline and cancellation, and answers with the message plus
/// <c>grpc-status: 0</c> trailers, or with a Trailers-Only error response.
/// </summary>
internal static class GrpcUnaryServerCall
{
    private const string UnexpectedErrorMessage = "Exception was thrown by handler.";

    /// <summary>
    /// Longest grpc-message sent, in UTF-16 code units. 2048 characters percent-encode to at most
    /// 18 KB, well inside the 64 KB of response headers HttpClient accepts by default; a longer
    /// message would fail the call on the client with a header-size error instead of its status.
    /// </summary>
    private const int MaxStatusMessageLength = 2048;

    /// <summary>Longest timer a <see cref="CancellationTokenSource"/> accepts (about 24.8 days); longer deadlines need no timer.</summary>
    private static readonly TimeSpan s_maxTimer = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    public static async Task HandleAsync<TRequest, TResponse>(
        HttpContext http,
        string path,
        MessageParser<TRequest> parser,
        Func<TRequest, GrpcServerCallContext, Task<TResponse>> handler,
        GrpcTransportOptions options,
        ILogger logger)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        if (!TryAcceptRequest(http, logger))
        {
            return;
        }

        // NOTE: ASP.NET Core routing ignores case; gRPC method paths are case-sensitive.
        if (!string.Equals(http.Request.Path.Value, path, StringComparison.Ordinal))
        {
            WriteTrailersOnly(http, GrpcStatusCode.Unimplemented, $"Method {http.Request.Path} is unimplemented.");
            return;
        }

        DateTime? deadline = null;
        CancellationTokenSource? deadlineCts = null;
        var timeoutHeader = http.Request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutHeader.Count > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader.ToString(), out var timeout))
            {
                WriteTrailersOnly(http, GrpcStatusCode.Internal, $"Malformed grpc-timeout header '{timeoutHeader}'.");
                return;
            }

            var now = DateTime.UtcNow;
            deadline = timeout < DateTime.MaxValue - now ? now + timeout : DateTime.MaxValue;
            if (timeout <= s_maxTimer)
            {
                deadlineCts = new CancellationTokenSource(timeout);
            }
        }

        // The transport enforces its own message limit; Kestrel's request body limit (30 MB) must not cut in first.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        var callCts = deadlineCts is null
            ? CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted)
            : CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, deadlineCts.Token);
        var handlerAbandoned = false;
        GrpcStatusCode status;
        string message;
        try
        {
            var request = await ReadRequestAsync(http, parser, options.MaxReceiveMessageSize, callCts.Token);
            var peer = http.Connection.RemoteIpAddress is { } ip
                ? string.Create(CultureInfo.InvariantCulture, $"{ip}:{http.Connection.RemotePort}")
                : null;
            var context = new GrpcServerCallContext(path, deadline, peer, callCts.Token);

            Task<TResponse> task;
            try
            {
                task = handler(request, context);
            }
            catch (Exception ex)
            {
                task = Task.FromException<TResponse>(ex);
            }

            TResponse reply;
            try
            {
                reply = await task.WaitAsync(callCts.Token);
            }
            catch (OperationCanceledException) when (callCts.IsCancellationRequested && !task.IsCompleted)
            {
                // The deadline passed or the client left while the handler still runs: answer now and let
                // the handler finish with its cancelled token; it cannot touch the HTTP context.
                handlerAbandoned = true;
                _ = task.ContinueWith(
                    static (t, state) =>
                    {
                        _ = t.Exception;
                        foreach (var cts in (CancellationTokenSource?[])state!)
                        {
                            cts?.Dispose();
                        }
                    },
                    new[] { callCts, deadlineCts },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                throw;
            }

            await WriteResponseAsync(http, path, reply, options, logger);
            return;
        }
        catch (GrpcCallException ex)
        {
            status = ex.Status;
            message = ex.Message;
            if (ex.Status == GrpcStatusCode.Unimplemented && ex.Data.Contains(GrpcProtocol.AcceptEncodingHeader))
            {
                http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            }
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // A client that cancels is not an error.
            GrpcLog.CallCancelledByClient(logger, path);
            return;
        }
        catch (OperationCanceledException) when (deadlineCts?.IsCancellationRequested == true)
        {
            GrpcLog.DeadlineExceeded(logger, path);
            status = GrpcStatusCode.DeadlineExceeded;
            message = "Deadline exceeded.";
        }
        catch (Exception ex)
        {
            GrpcLog.HandlerFailed(logger, path, ex);
            status = GrpcStatusCode.Unknown;
            message = options.EnableDetailedErrors ? $"{UnexpectedErrorMessage} {ex.GetType().Name}: {ex.Message}" : UnexpectedErrorMessage;
        }
        finally
        {
            if (!handlerAbandoned)
            {
                callCts.Dispose();
                deadlineCts?.Dispose();
            }
        }

        if (status != GrpcStatusCode.DeadlineExceeded)
        {
            GrpcLog.CallFailed(logger, path, status, message);
        }

        WriteTrailersOnly(http, status, message);
    }

    /// <summary>Answers a call to a method that was not mapped with UNIMPLEMENTED (non-gRPC requests get 404).</summary>
    public static Task UnimplementedAsync(HttpContext http, ILogger logger)
    {
        if (!GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (TryAcceptRequest(http, logger))
        {
            WriteTrailersOnly(http, GrpcStatusCode.Unimplemented, $"Method {http.Request.Path} is unimplemented.");
        }

        return Task.CompletedTask;
    }

    /// <summary>Rejects what is not a gRPC request over HTTP/2 with the HTTP status the spec asks for.</summary>
    private static bool TryAcceptRequest(HttpContext http, ILogger logger)
    {
        if (!GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            GrpcLog.RequestRejected(logger, http.Request.Path, $"content-type '{http.Request.ContentType}' is not application/grpc");
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return false;
        }

        if (!HttpProtocol.IsHttp2(http.Request.Protocol) && !HttpProtocol.IsHttp3(http.Request.Protocol))
        {
            GrpcLog.RequestRejected(logger, http.Request.Path, $"gRPC needs HTTP/2, the request came over {http.Request.Protocol}");
            http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            http.Response.Headers.Connection = "Upgrade";
            http.Response.Headers.Upgrade = "h2c";
            return false;
        }

        return true;
    }

    private static async ValueTask<TRequest> ReadRequestAsync<TRequest>(
        HttpContext http, MessageParser<TRequest> parser, int? maxSize, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
    {
        var reader = http.Request.BodyReader;
        var encoding = http.Request.Headers[GrpcProtocol.EncodingHeader].ToString();
        TRequest? message = default;
        var received = false;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            try
            {
                if (!received)
                {
                    received = TryParseMessage(ref buffer, parser, encoding, maxSize, out message);
                }

                if (received && !buffer.IsEmpty)
                {
                    throw new GrpcCallException(GrpcStatusCode.Internal, "Additional data after the request message: a unary call sends exactly one message.");
                }

                if (result.IsCompleted)
                {
                    if (!received)
                    {
                        throw new GrpcCallException(GrpcStatusCode.Internal, buffer.IsEmpty
                            ? "The request ended without a message: a unary call sends exactly one message."
                            : "The request ended in the middle of a message.");
                    }

                    return message!;
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>Parses one length-prefixed message from the front of <paramref name="buffer"/> once it is all there.</summary>
    private static bool TryParseMessage<TRequest>(
        ref ReadOnlySequence<byte> buffer, MessageParser<TRequest> parser, string encoding, int? maxSize, out TRequest? message)
        where TRequest : IMessage<TRequest>
    {
        message = default;
        if (buffer.Length < GrpcProtocol.MessageHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocol.MessageHeaderSize];
        buffer.Slice(0, GrpcProtocol.MessageHeaderSize).CopyTo(header);
        CheckCompressedFlag(header[0], encoding);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var limit = maxSize ?? int.MaxValue;
        if (length > (uint)limit)
        {
            throw new GrpcCallException(GrpcStatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {limit}).");
        }

        if (buffer.Length < GrpcProtocol.MessageHeaderSize + length)
        {
            return false;
        }

        try
        {
            message = parser.ParseFrom(buffer.Slice(GrpcProtocol.MessageHeaderSize, length));
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new GrpcCallException(GrpcStatusCode.Internal, "Failed to deserialize the request message.", ex);
        }

        buffer = buffer.Slice(GrpcProtocol.MessageHeaderSize + length);
        return true;
    }

    /// <summary>
    /// The transport does not compress. A compressed message with an encoding the server does not
    /// support is UNIMPLEMENTED (and the answer lists grpc-accept-encoding); a compressed message
    /// without any encoding is a protocol violation, INTERNAL (doc/compression.md).
    /// </summary>
    private static void CheckCompressedFlag(byte flag, string encoding)
    {
        if (flag == 0)
        {
            return;
        }

        if (flag != 1)
        {
            throw new GrpcCallException(GrpcStatusCode.Internal, $"Invalid compressed flag {flag} in the message header.");
        }

        if (encoding.Length == 0 || string.Equals(encoding, GrpcProtocol.IdentityEncoding, StringComparison.Ordinal))
        {
            throw new GrpcCallException(GrpcStatusCode.Internal, "The request message is marked compressed but no grpc-encoding was given.");
        }

        var exception = new GrpcCallException(GrpcStatusCode.Unimplemented,
            $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: {GrpcProtocol.IdentityEncoding}.");
        exception.Data[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
        throw exception;
    }

    private static async Task WriteResponseAsync<TResponse>(HttpContext http, string path, TResponse reply, GrpcTransportOptions options, ILogger logger)
        where TResponse : IMessage<TResponse>
    {
        var size = reply.CalculateSize();
        if (options.MaxSendMessageSize is { } max && size > max)
        {
            var message = $"Sending message larger than max ({size} vs. {max}).";
            GrpcLog.CallFailed(logger, path, GrpcStatusCode.ResourceExhausted, message);
            WriteTrailersOnly(http, GrpcStatusCode.ResourceExhausted, message);
            return;
        }

        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        var writer = response.BodyWriter;
        var header = writer.GetSpan(GrpcProtocol.MessageHeaderSize);
        header[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)size);
        writer.Advance(GrpcProtocol.MessageHeaderSize);
        // Serialised straight into Kestrel's output pipe, in its own buffer segments.
        reply.WriteTo(writer);
        response.AppendTrailer(GrpcProtocol.StatusHeader, "0");
        try
        {
            await writer.FlushAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            GrpcLog.CallCancelledByClient(logger, path);
        }
    }

    /// <summary>
    /// An error answer without a body: one HEADERS frame with END_STREAM that carries :status 200,
    /// content-type, grpc-status and grpc-message (the spec's Trailers-Only response).
    /// </summary>
    private static void WriteTrailersOnly(HttpContext http, GrpcStatusCode status, string message)
    {
        var response = http.Response;
        if (response.HasStarted)
        {
            throw new InvalidOperationException("A Trailers-Only response was requested after the response started. This is a bug.");
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusHeader] = ((int)status).ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(message))
        {
            if (message.Length > MaxStatusMessageLength)
            {
                var cut = char.IsHighSurrogate(message[MaxStatusMessageLength - 1]) ? MaxStatusMessageLength - 1 : MaxStatusMessageLength;
                message = string.Concat(message.AsSpan(0, cut), "… (truncated)");
            }

            response.Headers[GrpcProtocol.MessageHeader] = GrpcMessageEncoding.Encode(message);
        }
    }
}
