using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Tests.Contracts.Echo.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// A real Kestrel server on 127.0.0.1, port 0, HTTP/2 only, serving the test Echo service
/// (test/v1/echo.proto) and grpc.health.v1 through the transport under test.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    public const string EchoService = "nvembed.test.v1.Echo";

    private readonly WebApplication _app;

    private GrpcTestServer(WebApplication app, Uri address, ConcurrentQueue<string> loggedErrors)
    {
        _app = app;
        Address = address;
        LoggedErrors = loggedErrors;
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; }

    /// <summary>The health statuses the server reports.</summary>
    public GrpcHealthService Health => _app.Services.GetRequiredService<GrpcHealthService>();

    /// <summary>The text of every Echo call whose handler saw its cancellation token fire.</summary>
    public Channel<string> CancelledCalls { get; } = Channel.CreateUnbounded<string>();

    /// <summary>Errors the server logged (the transport logs unexpected handler exceptions).</summary>
    public ConcurrentQueue<string> LoggedErrors { get; }

    /// <summary>Echo calls in flight on the server, and the most seen at once.</summary>
    public int InFlight => _inFlight;

    public int MaxInFlight => _maxInFlight;

    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Starts a server; <paramref name="protocols"/> is the endpoint's (HTTP/2 only, as the gRPC endpoints are, unless a test needs otherwise).</summary>
    public static async Task<GrpcTestServer> StartAsync(
        Action<GrpcTransportOptions>? configure = null, Action<WebApplication>? map = null, HttpProtocols protocols = HttpProtocols.Http2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var errors = new ConcurrentQueue<string>();
        builder.Logging.AddProvider(new ErrorCollectingLoggerProvider(errors));
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols));
        builder.Services.AddGrpcTransport(configure);
        var app = builder.Build();
        app.MapGrpcHealth();

        GrpcTestServer? server = null;
        app.MapGrpcUnary<EchoRequest, EchoReply>(EchoService, "Say", (request, context) => server!.SayAsync(request, context));
        map?.Invoke(app);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new GrpcTestServer(app, new Uri(address), errors);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }

    private async Task<EchoReply> SayAsync(EchoRequest request, GrpcServerCallContext context)
    {
        var now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        try
        {
            if (request.DelayMs > 0)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(request.DelayMs), context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    CancelledCalls.Writer.TryWrite(request.Text);
                    throw;
                }
            }

            if (request.FailStatus != 0)
            {
                throw new GrpcCallException((GrpcStatusCode)request.FailStatus, request.Text);
            }

            return new EchoReply
            {
                Text = request.Text,
                Payload = request.Payload,
                DeadlineRemainingMs = context.Deadline is { } deadline ? (long)(deadline - DateTime.UtcNow).TotalMilliseconds : -1,
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Random bytes for payloads.</summary>
    public static ByteString RandomPayload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
