using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using NvEmbed.Tests.Contracts.Echo.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>grpc-dotnet's client, configured as NvEmbed's clients are, against @grpc/grpc-js, the reference implementation (js/grpc/echo-server.js).</summary>
public class GrpcJsServerInteropTests(NodeGrpcServerFixture fixture) : IClassFixture<NodeGrpcServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private NodeGrpcServer Server => fixture.Server;

    private static Echo.V1.Echo.EchoClient Client(GrpcChannel channel) => new(channel);

    [Fact]
    public async Task Say_GrpcJsServer_RoundTripsMessageAndDeadline()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);
        var payload = GrpcInteropPaths.Payload(50_000, seed: 11);

        // Act
        var reply = await Client(channel).SayAsync(new EchoRequest { Text = "hello from .NET ✓", Payload = ByteString.CopyFrom(payload) },
            deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync.WaitAsync(s_timeout);

        // Assert
        Assert.Equal("hello from .NET ✓", reply.Text);
        Assert.Equal(payload, reply.Payload.ToByteArray());
        Assert.InRange(reply.DeadlineRemainingMs, 5_000, 10_001);
    }

    [Fact]
    public async Task Say_GrpcJsServerFails_StatusAndNonAsciiMessageIntact()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);
        const string message = "résumé 東京 ✓ 100% 😀";

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client(channel).SayAsync(
            new EchoRequest { Text = message, FailStatus = (uint)StatusCode.FailedPrecondition }).ResponseAsync.WaitAsync(s_timeout));

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    [Fact]
    public async Task Say_GrpcJsServerSlowerThanDeadline_DeadlineExceededAndServerCancelled()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client(channel).SayAsync(
            new EchoRequest { Text = "js deadline", DelayMs = 30_000 }, deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync.WaitAsync(s_timeout));
        var cancelled = await ReadCancelledAsync("js deadline");

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("js deadline", cancelled);
    }

    [Fact]
    public async Task Say_CallerCancels_GrpcJsServerSeesCancellation()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client(channel).SayAsync(
            new EchoRequest { Text = "js cancel", DelayMs = 30_000 }, cancellationToken: cts.Token).ResponseAsync.WaitAsync(s_timeout));
        var cancelled = await ReadCancelledAsync("js cancel");

        // Assert
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal("js cancel", cancelled);
    }

    [Fact]
    public async Task Say_OverGrpcJsReceiveLimit_ResourceExhausted()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client(channel).SayAsync(
            new EchoRequest { Payload = ByteString.CopyFrom(GrpcInteropPaths.Payload(NodeGrpcServer.MaxReceiveMessageSize + 1, seed: 1)) })
            .ResponseAsync.WaitAsync(s_timeout));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_GrpcJsServer_StatusesAndNotFound()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);
        var health = new Health.HealthClient(channel);

        // Act
        var whole = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(s_timeout);
        var echo = await health.CheckAsync(new HealthCheckRequest { Service = GrpcTestServer.EchoService }).ResponseAsync.WaitAsync(s_timeout);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "x" }).ResponseAsync.WaitAsync(s_timeout));

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, whole.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, echo.Status);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Say_ManyConcurrentCallsToGrpcJs_AllAnswerTheirOwnRequest()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(Server.Address);
        var client = Client(channel);

        // Act
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.SayAsync(
            new EchoRequest { Text = $"n{i}", DelayMs = 50 }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync)).WaitAsync(s_timeout);

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
