using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Tests.Contracts.Echo.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>The transport end to end: <see cref="GrpcChannel"/> against the server side on real Kestrel (HTTP/2 on loopback).</summary>
public class GrpcTransportTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task UnaryAsync_EchoRequest_ReturnsHandlerReply()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);
        var payload = GrpcTestServer.RandomPayload(200_000, seed: 1);

        // Act
        var reply = await channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "hello", Payload = payload }, EchoReply.Parser).WaitAsync(s_timeout);

        // Assert
        Assert.Equal("hello", reply.Text);
        Assert.Equal(payload, reply.Payload);
        Assert.Equal(-1, reply.DeadlineRemainingMs);
        Assert.Empty(server.LoggedErrors);
    }

    [Theory]
    [InlineData(GrpcStatusCode.InvalidArgument, "résumé 東京 ✓ 100% done\r\nnext line")]
    [InlineData(GrpcStatusCode.NotFound, "plain ascii, with a comma; and a semicolon")]
    [InlineData(GrpcStatusCode.Unavailable, "emoji 😀 and %41 not an escape")]
    public async Task UnaryAsync_HandlerThrowsGrpcCallException_ClientGetsStatusAndMessageIntact(GrpcStatusCode status, string message)
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = message, FailStatus = (uint)status }, EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(status, error.Status);
        Assert.Equal(message, error.Message);
        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task UnaryAsync_HandlerThrowsHugeMessage_StatusArrivesWithMessageTruncated()
    {
        // Arrange: 50,000 CJK characters would percent-encode to 450 KB of headers.
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);
        var message = string.Concat(Enumerable.Repeat("東京", 25_000));

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = message, FailStatus = (uint)GrpcStatusCode.InvalidArgument }, EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.InvalidArgument, error.Status);
        Assert.StartsWith(message[..2048], error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(truncated)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnaryAsync_HandlerThrowsUnexpectedException_UnknownWithoutDetailsAndLogged()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: app =>
            app.MapGrpcUnary<EchoRequest, EchoReply>(GrpcTestServer.EchoService, "Throw", (_, _) =>
                throw new InvalidOperationException("secret internals")));
        using var channel = new GrpcChannel(server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Throw",
            new EchoRequest(), EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.Unknown, error.Status);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.LoggedErrors, e => e.Contains("InvalidOperationException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnaryAsync_DeadlineShorterThanHandler_DeadlineExceededAndHandlerTokenFires()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);
        var watch = Stopwatch.StartNew();

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "slow", DelayMs = 30_000 }, EchoReply.Parser,
            deadline: DateTime.UtcNow.AddMilliseconds(300)).WaitAsync(s_timeout));
        watch.Stop();
        var cancelled = await server.CancelledCalls.Reader.ReadAsync().AsTask().WaitAsync(s_timeout);

        // Assert
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.Status);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.Equal("slow", cancelled);
        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task UnaryAsync_WithDeadline_ServerSeesDeadline()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);

        // Act
        var reply = await channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "x" }, EchoReply.Parser, deadline: DateTime.UtcNow.AddSeconds(10)).WaitAsync(s_timeout);

        // Assert
        Assert.InRange(reply.DeadlineRemainingMs, 5_000, 10_001);
    }

    [Fact]
    public async Task UnaryAsync_DeadlineAlreadyPassed_DeadlineExceededWithoutCall()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "late" }, EchoReply.Parser, deadline: DateTime.UtcNow.AddSeconds(-1)).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.Status);
        Assert.Equal(0, server.MaxInFlight);
    }

    [Fact]
    public async Task UnaryAsync_ClientCancels_ServerHandlerTokenFires()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);
        using var cts = new CancellationTokenSource();

        // Act
        var call = channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "cancel me", DelayMs = 30_000 }, EchoReply.Parser, cancellationToken: cts.Token);
        await WaitUntilAsync(() => server.InFlight == 1);
        await cts.CancelAsync();
        var error = await Record.ExceptionAsync(() => call.WaitAsync(s_timeout));
        var cancelled = await server.CancelledCalls.Reader.ReadAsync().AsTask().WaitAsync(s_timeout);

        // Assert
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal("cancel me", cancelled);
        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task UnaryAsync_RequestOverServerLimit_ResourceExhausted()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(o => o.MaxReceiveMessageSize = 1024);
        using var channel = new GrpcChannel(server.Address);

        // Act
        var small = await channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Payload = GrpcTestServer.RandomPayload(900, seed: 2) }, EchoReply.Parser).WaitAsync(s_timeout);
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Payload = GrpcTestServer.RandomPayload(4096, seed: 3) }, EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(900, small.Payload.Length);
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.Status);
        Assert.Contains("1024", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.MaxInFlight);
    }

    [Fact]
    public async Task UnaryAsync_RequestLargerThanKestrelBodyLimit_AcceptedUpToTransportLimit()
    {
        // Arrange: Kestrel's own request body limit is 30 MB; the transport's limit must be the one that applies.
        const int size = 32 * 1024 * 1024;
        await using var server = await GrpcTestServer.StartAsync(o => o.MaxReceiveMessageSize = size + 1024, app =>
            app.MapGrpcUnary<EchoRequest, EchoReply>(GrpcTestServer.EchoService, "Measure", (request, _) =>
                Task.FromResult(new EchoReply { Text = $"{request.Payload.Length}:{request.Payload[size - 1]}" })));
        using var channel = new GrpcChannel(server.Address);
        var payload = GrpcTestServer.RandomPayload(size, seed: 6);

        // Act
        var reply = await channel.UnaryAsync(GrpcTestServer.EchoService, "Measure",
            new EchoRequest { Payload = payload }, EchoReply.Parser).WaitAsync(s_timeout);

        // Assert
        Assert.Equal($"{size}:{payload[size - 1]}", reply.Text);
    }

    [Fact]
    public async Task UnaryAsync_ResponseOverClientLimit_ResourceExhausted()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 2048 });

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Payload = GrpcTestServer.RandomPayload(4096, seed: 4) }, EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.Status);
    }

    [Fact]
    public async Task UnaryAsync_RequestOverClientSendLimit_ResourceExhaustedWithoutCall()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address, new GrpcChannelOptions { MaxSendMessageSize = 100 });

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Payload = GrpcTestServer.RandomPayload(200, seed: 5) }, EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.Status);
        Assert.Equal(0, server.MaxInFlight);
    }

    [Theory]
    [InlineData(GrpcTestServer.EchoService, "Missing")]
    [InlineData("nvembed.test.v1.NoSuchService", "Say")]
    [InlineData("nvembed.test.v1.echo", "say")]
    public async Task UnaryAsync_UnknownMethod_Unimplemented(string service, string method)
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(service, method,
            new EchoRequest(), EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.Unimplemented, error.Status);
        Assert.Contains(method, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnaryAsync_ManyConcurrentCallsOnOneChannel_AllAnswerTheirOwnRequest()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = new GrpcChannel(server.Address);
        const int calls = 400;

        // Act: more calls than Kestrel's 100 streams per connection, all in flight together.
        var tasks = Enumerable.Range(0, calls).Select(i => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = $"call {i}", DelayMs = 500, Payload = GrpcTestServer.RandomPayload(i, seed: i) },
            EchoReply.Parser, deadline: DateTime.UtcNow.AddSeconds(30))).ToArray();
        var replies = await Task.WhenAll(tasks).WaitAsync(s_timeout);

        // Assert
        for (var i = 0; i < calls; i++)
        {
            Assert.Equal($"call {i}", replies[i].Text);
            Assert.Equal(GrpcTestServer.RandomPayload(i, seed: i), replies[i].Payload);
        }

        Assert.True(server.MaxInFlight > 100, $"at most {server.MaxInFlight} calls ran at once");
        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task UnaryAsync_NothingListening_Unavailable()
    {
        // Arrange: a port that was just free.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var channel = new GrpcChannel(new Uri($"http://127.0.0.1:{port}"));

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest(), EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.Unavailable, error.Status);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnaryAsync_EndpointSpeaksOnlyHttp1_UnavailableWithClearMessage()
    {
        // Arrange: a channel pointed at an HTTP/1.1 endpoint (the service's http endpoint by mistake).
        await using var server = await GrpcTestServer.StartAsync(protocols: HttpProtocols.Http1);
        using var channel = new GrpcChannel(server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest(), EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.Unavailable, error.Status);
        Assert.Contains("HTTP/2", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.Address.Authority, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_Http11RequestOnMixedEndpoint_Http426()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(protocols: HttpProtocols.Http1AndHttp2);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/nvembed.test.v1.Echo/Say"))
        {
            Version = HttpVersion.Version11,
            Content = new ByteArrayContent(new byte[5]),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");

        // Act
        using var response = await client.SendAsync(request).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal(0, server.MaxInFlight);
    }

    [Fact]
    public async Task MapGrpcUnary_SameMethodTwice_ClearStartupError()
    {
        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GrpcTestServer.StartAsync(map: app =>
            app.MapGrpcUnary<EchoRequest, EchoReply>(GrpcTestServer.EchoService, "Say", (r, _) => Task.FromResult(new EchoReply()))));

        // Assert
        Assert.Contains("/nvembed.test.v1.Echo/Say", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheck_StatusesSetOnService_ReportedToClient()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        server.Health.SetStatus("nvembed.test.v1.Echo", HealthCheckResponse.Types.ServingStatus.NotServing);
        using var channel = new GrpcChannel(server.Address);

        // Act
        var whole = await CheckAsync(channel, "");
        var echo = await CheckAsync(channel, "nvembed.test.v1.Echo");
        server.Health.SetStatus("nvembed.test.v1.Echo", HealthCheckResponse.Types.ServingStatus.Serving);
        var echoLater = await CheckAsync(channel, "nvembed.test.v1.Echo");
        var unknown = await Assert.ThrowsAsync<GrpcCallException>(() => CheckAsync(channel, "no.such.Service"));

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, whole);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, echo);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, echoLater);
        Assert.Equal(GrpcStatusCode.NotFound, unknown.Status);
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> CheckAsync(GrpcChannel channel, string service)
    {
        var response = await channel.UnaryAsync(GrpcEndpointRouteBuilderExtensions.HealthServiceName, "Check",
            new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser).WaitAsync(s_timeout);
        return response.Status;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > s_timeout)
            {
                throw new TimeoutException("Condition not met in time.");
            }

            await Task.Delay(10);
        }
    }
}
