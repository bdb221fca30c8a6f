using Google.Protobuf;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Tests.Contracts.Echo.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>Our <see cref="GrpcChannel"/> as a client of @grpc/grpc-js, the reference implementation (js/grpc/echo-server.js).</summary>
public class GrpcJsServerInteropTests(NodeGrpcServerFixture fixture) : IClassFixture<NodeGrpcServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private NodeGrpcServer Server => fixture.Server;

    [Fact]
    public async Task UnaryAsync_GrpcJsServer_RoundTripsMessageAndDeadline()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);
        var payload = GrpcInteropPaths.Payload(50_000, seed: 11);

        // Act
        var reply = await channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "hello from .NET ✓", Payload = ByteString.CopyFrom(payload) }, EchoReply.Parser,
            deadline: DateTime.UtcNow.AddSeconds(10)).WaitAsync(s_timeout);

        // Assert
        Assert.Equal("hello from .NET ✓", reply.Text);
        Assert.Equal(payload, reply.Payload.ToByteArray());
        Assert.InRange(reply.DeadlineRemainingMs, 5_000, 10_001);
    }

    [Fact]
    public async Task UnaryAsync_GrpcJsServerFails_StatusAndNonAsciiMessageIntact()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);
        const string message = "résumé 東京 ✓ 100% 😀";

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = message, FailStatus = (uint)GrpcStatusCode.FailedPrecondition }, EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.FailedPrecondition, error.Status);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task UnaryAsync_GrpcJsServerSlowerThanDeadline_DeadlineExceededAndServerCancelled()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "js deadline", DelayMs = 30_000 }, EchoReply.Parser,
            deadline: DateTime.UtcNow.AddMilliseconds(300)).WaitAsync(s_timeout));
        var cancelled = await ReadCancelledAsync("js deadline");

        // Assert
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.Status);
        Assert.Equal("js deadline", cancelled);
    }

    [Fact]
    public async Task UnaryAsync_CallerCancels_GrpcJsServerSeesCancellation()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        // Act
        var error = await Record.ExceptionAsync(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = "js cancel", DelayMs = 30_000 }, EchoReply.Parser, cancellationToken: cts.Token).WaitAsync(s_timeout));
        var cancelled = await ReadCancelledAsync("js cancel");

        // Assert
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal("js cancel", cancelled);
    }

    [Fact]
    public async Task UnaryAsync_OverGrpcJsReceiveLimit_ResourceExhausted()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Payload = ByteString.CopyFrom(GrpcInteropPaths.Payload(NodeGrpcServer.MaxReceiveMessageSize + 1, seed: 1)) },
            EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.Status);
    }

    [Fact]
    public async Task UnaryAsync_MethodGrpcJsDoesNotServe_Unimplemented()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcTestServer.EchoService, "Missing",
            new EchoRequest(), EchoReply.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.Unimplemented, error.Status);
    }

    [Fact]
    public async Task HealthCheck_GrpcJsServer_StatusesAndNotFound()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);

        // Act
        var whole = await channel.UnaryAsync(GrpcEndpointRouteBuilderExtensions.HealthServiceName, "Check",
            new HealthCheckRequest(), HealthCheckResponse.Parser).WaitAsync(s_timeout);
        var echo = await channel.UnaryAsync(GrpcEndpointRouteBuilderExtensions.HealthServiceName, "Check",
            new HealthCheckRequest { Service = "nvembed.test.v1.Echo" }, HealthCheckResponse.Parser).WaitAsync(s_timeout);
        var unknown = await Assert.ThrowsAsync<GrpcCallException>(() => channel.UnaryAsync(GrpcEndpointRouteBuilderExtensions.HealthServiceName, "Check",
            new HealthCheckRequest { Service = "x" }, HealthCheckResponse.Parser).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, whole.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, echo.Status);
        Assert.Equal(GrpcStatusCode.NotFound, unknown.Status);
    }

    [Fact]
    public async Task UnaryAsync_ManyConcurrentCallsToGrpcJs_AllAnswerTheirOwnRequest()
    {
        // Arrange
        using var channel = new GrpcChannel(Server.Address);

        // Act
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => channel.UnaryAsync(GrpcTestServer.EchoService, "Say",
            new EchoRequest { Text = $"n{i}", DelayMs = 50 }, EchoReply.Parser, deadline: DateTime.UtcNow.AddSeconds(30)))).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"n{i}"), replies.Select(r => r.Text));
    }

    /// <summary>Tests of this class share the server; each waits for its own call's cancellation line.</summary>
    private async Task<string> ReadCancelledAsync(string text)
    {
        using var cts = new CancellationTokenSource(s_timeout);
        while (true)
        {
            var line = await Server.CancelledCalls.Reader.ReadAsync(cts.Token);
            if (line == text)
            {
                return line;
            }

            // Another test's line: put it back for that test and look again shortly.
            Server.CancelledCalls.Writer.TryWrite(line);
            await Task.Delay(20, cts.Token);
        }
    }
}
