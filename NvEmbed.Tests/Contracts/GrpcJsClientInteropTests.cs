using System.Globalization;
using System.Text.Json;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Contracts;

/// <summary>@grpc/grpc-js, the reference implementation, as a client of our server (js/grpc/echo-client.js).</summary>
public class GrpcJsClientInteropTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task GrpcJsClient_AgainstOurServer_StatusesMessagesDeadlinesAndHealthInterop()
    {
        // Arrange: a receive limit above the round trip's 100,000-byte payload and below the 'tooLarge' case's.
        const int limit = 150_000;
        await using var server = await GrpcTestServer.StartAsync(o => o.MaxReceiveMessageSize = limit);
        var hostPort = $"{server.Address.Host}:{server.Address.Port}";

        // Act
        var result = await NodeScript.RunAsync("grpc/echo-client.js",
            [hostPort, GrpcInteropPaths.TestProtoRoot, GrpcInteropPaths.HealthProtoRoot, (limit + 1).ToString(CultureInfo.InvariantCulture)],
            standardInput: null, s_timeout);
        var cancelled = new[]
        {
            await server.CancelledCalls.Reader.ReadAsync().AsTask().WaitAsync(s_timeout),
            await server.CancelledCalls.Reader.ReadAsync().AsTask().WaitAsync(s_timeout),
        };

        // Assert
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;

        var roundTrip = root.GetProperty("roundTrip");
        Assert.Equal(0, roundTrip.GetProperty("code").GetInt32());
        Assert.Equal("hello from grpc-js", roundTrip.GetProperty("text").GetString());
        Assert.True(roundTrip.GetProperty("payloadMatches").GetBoolean());
        Assert.Equal(-1, roundTrip.GetProperty("deadlineRemainingMs").GetInt64());

        // grpc-js sent a grpc-timeout our server parsed into a deadline ~10 s away.
        Assert.InRange(root.GetProperty("deadlineSeen").GetProperty("deadlineRemainingMs").GetInt64(), 5_000, 10_001);

        var error = root.GetProperty("error");
        Assert.Equal(3, error.GetProperty("code").GetInt32());
        Assert.Equal("résumé 東京 ✓ 100%", error.GetProperty("details").GetString());

        var deadline = root.GetProperty("deadline");
        Assert.Equal(4, deadline.GetProperty("code").GetInt32());
        Assert.InRange(deadline.GetProperty("elapsedMs").GetInt32(), 250, 5_000);

        // Our server saw both the deadline and grpc-js's cancel (RST_STREAM) through the handler's token.
        Assert.Equal(1, root.GetProperty("cancel").GetProperty("code").GetInt32());
        Assert.Equal(["too slow", "cancelled by grpc-js"], cancelled);
        Assert.Equal(8, root.GetProperty("tooLarge").GetProperty("code").GetInt32());

        Assert.Equal("SERVING", root.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal(5, root.GetProperty("healthUnknown").GetProperty("code").GetInt32());
        Assert.Equal(12, root.GetProperty("unimplemented").GetProperty("code").GetInt32());
        Assert.Empty(server.LoggedErrors);
    }
}
