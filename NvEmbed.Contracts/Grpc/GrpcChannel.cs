using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// A client connection to one gRPC server: unary calls over HTTP/2 (h2c with prior knowledge for
/// <c>http://</c> addresses, ALPN for <c>https://</c>) through one <see cref="HttpClient"/>, with
/// deadlines sent as grpc-timeout, cancellation as RST_STREAM and the status read from the trailers.
/// Thread-safe; create one per server address and share it.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private const string UserAgent = "grpc-csharp-nvembed/1.0";

    /// <summary>HTTP/2 HTTP_1_1_REQUIRED: what Kestrel answers h2c prior knowledge with on an HTTP/1-only endpoint.</summary>
    private const long Http11RequiredErrorCode = 0xD;

    /// <summary>Longest timer a <see cref="CancellationTokenSource"/> accepts (about 24.8 days); longer deadlines need no timer.</summary>
    private static readonly TimeSpan s_maxTimer = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    private readonly HttpClient _client;
    private readonly ConcurrentDictionary<(string Service, string Method), Uri> _methodUris = new();
    private bool _disposed;

    /// <summary>Creates a channel to <paramref name="address"/> (scheme, host and port; any path is ignored).</summary>
    public GrpcChannel(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"A gRPC address must be an absolute http:// or https:// URI, not '{address}'.", nameof(address));
        }

        Address = address;
        Options = options ?? new GrpcChannelOptions();
        var handler = Options.HttpHandler ?? CreateHandler(Options);
        _client = new HttpClient(handler, disposeHandler: Options.HttpHandler is null)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        // te: trailers tells intermediaries that the client reads trailers, where the status is.
        _client.DefaultRequestHeaders.TryAddWithoutValidation("TE", "trailers");
        _client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", UserAgent);
        _client.DefaultRequestHeaders.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.IdentityEncoding);
    }

    /// <summary>The server's address.</summary>
    public Uri Address { get; }

    /// <summary>The channel's settings.</summary>
    public GrpcChannelOptions Options { get; }

    /// <summary>
    /// Calls the unary method <paramref name="service"/>/<paramref name="method"/>. A status other than
    /// OK throws <see cref="GrpcCallException"/>: DEADLINE_EXCEEDED when <paramref name="deadline"/>
    /// passes, UNAVAILABLE when the server cannot be reached. Cancelling
    /// <paramref name="cancellationToken"/> resets the HTTP/2 stream (the server sees the call cancelled)
    /// and throws <see cref="OperationCanceledException"/>: a caller that cancels is not an error.
    /// </summary>
    /// <param name="service">Full service name, e.g. <c>nvembed.tokenizer.v1.Tokenizer</c>.</param>
    /// <param name="method">Method name, e.g. <c>Encode</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="parser">The response type's parser (<c>TResponse.Parser</c>).</param>
    /// <param name="deadline">When to give up (UTC; local times are converted); <c>null</c> = no deadline.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(
        string service,
        string method,
        TRequest request,
        MessageParser<TResponse> parser,
        DateTime? deadline = null,
        CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);
        cancellationToken.ThrowIfCancellationRequested();

        var size = request.CalculateSize();
        if (Options.MaxSendMessageSize is { } maxSend && size > maxSend)
        {
            throw new GrpcCallException(GrpcStatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {maxSend}).");
        }

        TimeSpan? timeout = null;
        if (deadline is { } d && d != DateTime.MaxValue)
        {
            var remaining = (d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : d) - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new GrpcCallException(GrpcStatusCode.DeadlineExceeded, "Deadline exceeded before the call started.");
            }

            timeout = remaining;
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, GetMethodUri(service, method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcMessageContent(request, size),
        };
        if (timeout is { } t)
        {
            message.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
        }

        using var callCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } timer && timer <= s_maxTimer)
        {
            callCts.CancelAfter(timer);
        }

        HttpResponseMessage? response = null;
        try
        {
            response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, callCts.Token);
            return await ReadResponseAsync(response, parser, callCts.Token);
        }
        catch (GrpcCallException)
        {
            throw;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The gRPC call was cancelled by the caller.", cancellationToken);
        }
        catch (Exception ex) when (callCts.IsCancellationRequested)
        {
            throw new GrpcCallException(GrpcStatusCode.DeadlineExceeded, "Deadline exceeded.", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw TransportError(ex);
        }
        finally
        {
            // Disposing a response whose body was not read to the end resets the stream (RST_STREAM CANCEL).
            response?.Dispose();
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _client.Dispose();
        }
    }

    private static SocketsHttpHandler CreateHandler(GrpcChannelOptions options) => new()
    {
        EnableMultipleHttp2Connections = options.EnableMultipleHttp2Connections,
        KeepAlivePingDelay = options.KeepAlivePingDelay,
        KeepAlivePingTimeout = options.KeepAlivePingTimeout,
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        ConnectTimeout = options.ConnectTimeout,
        // Internal service-to-service traffic: never through an HTTP proxy from the environment.
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    private Uri GetMethodUri(string service, string method) =>
        _methodUris.GetOrAdd((service, method), static (key, address) => new Uri(address, "/" + key.Service + "/" + key.Method), Address);

    private async Task<TResponse> ReadResponseAsync<TResponse>(HttpResponseMessage response, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new GrpcCallException(GrpcProtocol.StatusFromHttp(response.StatusCode),
                $"Bad gRPC response from {Address}: HTTP status {(int)response.StatusCode}.");
        }

        // Trailers-Only: the status is in the only HEADERS frame, there is no body.
        if (TryReadStatus(response.Headers, out var headerStatus, out var headerMessage))
        {
            throw headerStatus == GrpcStatusCode.OK
                ? new GrpcCallException(GrpcStatusCode.Internal, "The server answered OK without a response message.")
                : new GrpcCallException(headerStatus, headerMessage);
        }

        if (!GrpcProtocol.IsGrpcContentType(response.Content.Headers.ContentType))
        {
            throw new GrpcCallException(GrpcStatusCode.Internal,
                $"Bad gRPC response from {Address}: content-type '{response.Content.Headers.ContentType}'.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var reply = await ReadMessageAsync(stream, response, parser, cancellationToken);

        if (!TryReadStatus(response.TrailingHeaders, out var status, out var statusMessage))
        {
            throw new GrpcCallException(GrpcStatusCode.Internal, "The response ended without a grpc-status trailer.");
        }

        if (status != GrpcStatusCode.OK)
        {
            throw new GrpcCallException(status, statusMessage);
        }

        return reply ?? throw new GrpcCallException(GrpcStatusCode.Internal, "The server answered OK without a response message.");
    }

    /// <summary>Reads the one message of a unary response (or none) and the end of the stream, after which the trailers are known.</summary>
    private async Task<TResponse?> ReadMessageAsync<TResponse>(Stream stream, HttpResponseMessage response, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        var header = ArrayPool<byte>.Shared.Rent(GrpcProtocol.MessageHeaderSize);
        try
        {
            var read = await stream.ReadAtLeastAsync(header.AsMemory(0, GrpcProtocol.MessageHeaderSize), GrpcProtocol.MessageHeaderSize, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
            {
                return default;
            }

            if (read < GrpcProtocol.MessageHeaderSize)
            {
                throw new GrpcCallException(GrpcStatusCode.Internal, "The response ended in the middle of a message header.");
            }

            if (header[0] != 0)
            {
                var encoding = response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var values) ? string.Join(",", values) : "";
                throw new GrpcCallException(GrpcStatusCode.Internal, header[0] == 1
                    ? $"The response message is compressed (grpc-encoding '{encoding}'), which this client does not support."
                    : $"Invalid compressed flag {header[0]} in the response message header.");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1, 4));
            var limit = Options.MaxReceiveMessageSize ?? int.MaxValue;
            if (length > (uint)limit)
            {
                throw new GrpcCallException(GrpcStatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {limit}).");
            }

            var body = ArrayPool<byte>.Shared.Rent((int)length);
            TResponse reply;
            try
            {
                await stream.ReadExactlyAsync(body.AsMemory(0, (int)length), cancellationToken);
                reply = parser.ParseFrom(body.AsSpan(0, (int)length));
            }
            catch (EndOfStreamException ex)
            {
                throw new GrpcCallException(GrpcStatusCode.Internal, "The response ended in the middle of a message.", ex);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new GrpcCallException(GrpcStatusCode.Internal, "Failed to deserialize the response message.", ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }

            if (await stream.ReadAsync(header.AsMemory(0, 1), cancellationToken) != 0)
            {
                throw new GrpcCallException(GrpcStatusCode.Internal, "Additional data after the response message: a unary call answers exactly one message.");
            }

            return reply;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }
    }

    private static bool TryReadStatus(HttpHeaders headers, out GrpcStatusCode status, out string message)
    {
        status = GrpcStatusCode.Unknown;
        message = string.Empty;
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out var statusValues))
        {
            return false;
        }

        var text = statusValues.FirstOrDefault();
        status = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= (int)GrpcStatusCode.Unauthenticated
            ? (GrpcStatusCode)code
            : GrpcStatusCode.Unknown;
        if (headers.TryGetValues(GrpcProtocol.MessageHeader, out var messageValues))
        {
            message = GrpcMessageEncoding.Decode(string.Join(",", messageValues));
        }
        else if (status == GrpcStatusCode.Unknown && code != (int)GrpcStatusCode.Unknown)
        {
            message = $"Invalid grpc-status '{text}'.";
        }

        return true;
    }

    private GrpcCallException TransportError(Exception ex)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException { ErrorCode: Http11RequiredErrorCode })
            {
                return new GrpcCallException(GrpcStatusCode.Unavailable,
                    $"The server at {Address} does not accept HTTP/2 (HTTP_1_1_REQUIRED): gRPC needs an HTTP/2 endpoint (Protocols=Http2), not the service's http endpoint.", ex);
            }

            if (inner is HttpProtocolException protocol)
            {
                return new GrpcCallException(GrpcProtocol.StatusFromHttp2ErrorCode(protocol.ErrorCode),
                    $"The HTTP/2 stream to {Address} was reset (error code 0x{protocol.ErrorCode:X}): {protocol.Message}", ex);
            }
        }

        return ex is HttpRequestException
            ? new GrpcCallException(GrpcStatusCode.Unavailable, $"Error connecting to {Address}: {ex.Message}", ex)
            : new GrpcCallException(GrpcStatusCode.Unavailable, $"The connection to {Address} was lost: {ex.Message}", ex);
    }
}
