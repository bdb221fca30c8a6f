using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Tests.Contracts.Echo.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// The server side at the wire level, with a plain HTTP/2 client: what goes into headers and
/// trailers, and how protocol violations are answered (doc/PROTOCOL-HTTP2.md, doc/compression.md).
/// </summary>
public class GrpcServerProtocolTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Say_Success_StatusInTrailersNotHeaders()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "hi" }));
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(s_timeout);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal(0, body[0]);
        Assert.Equal(body.Length - 5, (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1, 4)));
        Assert.Equal("hi", EchoReply.Parser.ParseFrom(body.AsSpan(5)).Text);
    }

    [Fact]
    public async Task Say_HandlerError_TrailersOnlyResponseWithPercentEncodedMessage()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "é 100%", FailStatus = 9 }));
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(s_timeout);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("9", Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.Equal("%C3%A9 100%25", Assert.Single(response.Headers.GetValues("grpc-message")));
        Assert.Empty(body);
        Assert.Empty(response.TrailingHeaders);
    }

    [Fact]
    public async Task Say_CompressedWithoutEncoding_Internal()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "z" }, compressedFlag: 1));

        // Assert
        Assert.Equal(((int)GrpcStatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture), Status(response));
    }

    [Fact]
    public async Task Say_CompressedWithUnsupportedEncoding_UnimplementedAndAcceptEncoding()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "z" }, compressedFlag: 1),
            request => request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"));

        // Assert
        Assert.Equal("12", Status(response));
        Assert.Equal("identity", Assert.Single(response.Headers.GetValues("grpc-accept-encoding")));
        Assert.Contains("gzip", Message(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("123456789S")]
    [InlineData("5x")]
    [InlineData("-5S")]
    public async Task Say_MalformedTimeout_Internal(string timeout)
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "t" }),
            request => request.Headers.TryAddWithoutValidation("grpc-timeout", timeout));

        // Assert
        Assert.Equal("13", Status(response));
        Assert.Contains("grpc-timeout", Message(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_ServerSideDeadline_DeadlineExceededAnsweredByServer()
    {
        // Arrange: the client sets no timer of its own; only the server enforces grpc-timeout.
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();
        var watch = Stopwatch.StartNew();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "slow", DelayMs = 30_000 }),
            request => request.Headers.TryAddWithoutValidation("grpc-timeout", "200m"));
        watch.Stop();
        var cancelled = await server.CancelledCalls.Reader.ReadAsync().AsTask().WaitAsync(s_timeout);

        // Assert
        Assert.Equal("4", Status(response));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        Assert.Equal("slow", cancelled);
    }

    [Fact]
    public async Task Say_TwoMessagesInUnaryRequest_Internal()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();
        var one = Frame(new EchoRequest { Text = "a" });

        // Act
        using var response = await SendAsync(client, server, [.. one, .. one]);

        // Assert
        Assert.Equal("13", Status(response));
        Assert.Equal(0, server.MaxInFlight);
    }

    [Fact]
    public async Task Say_TruncatedMessage_Internal()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();
        var frame = Frame(new EchoRequest { Text = "abcdef" });

        // Act
        using var response = await SendAsync(client, server, frame[..^2]);

        // Assert
        Assert.Equal("13", Status(response));
    }

    [Fact]
    public async Task Say_NotGrpcContentType_Http415()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest()),
            request => request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/json"));

        // Assert
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Say_GrpcProtoContentType_Accepted()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var client = CreateClient();

        // Act
        using var response = await SendAsync(client, server, Frame(new EchoRequest { Text = "p" }),
            request => request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/grpc+proto"));
        await response.Content.ReadAsByteArrayAsync().WaitAsync(s_timeout);

        // Assert
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
    }

    private static HttpClient CreateClient() => new(new SocketsHttpHandler { UseProxy = false });

    private static byte[] Frame(IMessage message, byte compressedFlag = 0)
    {
        var bytes = message.ToByteArray();
        var frame = new byte[5 + bytes.Length];
        frame[0] = compressedFlag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)bytes.Length);
        bytes.CopyTo(frame, 5);
        return frame;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, GrpcTestServer server, byte[] body, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/nvembed.test.v1.Echo/Say"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        configure?.Invoke(request);
        return await client.SendAsync(request).WaitAsync(s_timeout);
    }

    private static string? Status(HttpResponseMessage response) =>
        response.Headers.TryGetValues("grpc-status", out var values) ? values.Single() : null;

    private static string Message(HttpResponseMessage response) =>
        response.Headers.TryGetValues("grpc-message", out var values) ? values.Single() : "";
}
