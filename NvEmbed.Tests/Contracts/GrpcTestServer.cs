using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Hosting;
using NvEmbed.ServiceDefaults;
using NvEmbed.Tests.Contracts.Echo.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>A gRPC service a <see cref="GrpcTestServer"/> hosts besides Echo (a fake tokenizer or worker).</summary>
public interface IGrpcTestService
{
    /// <summary>Registers the service instance (grpc-dotnet resolves services from the container).</summary>
    void Register(IServiceCollection services);

    /// <summary>Maps the service.</summary>
    void Map(IEndpointRouteBuilder endpoints);
}

/// <summary>
/// A real Kestrel server on 127.0.0.1, port 0, HTTP/2 only, with NvEmbed's gRPC server wiring
/// (<see cref="GrpcServerRegistration"/>): the test Echo service (test/v1/echo.proto), grpc.health.v1 driven by a
/// readiness check the test can flip, and any <see cref="IGrpcTestService"/>.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    public const string EchoService = "nvembed.test.v1.Echo";

    private readonly WebApplication _app;
    private int _inFlight;
    private int _maxInFlight;

    private GrpcTestServer(WebApplication app, Uri address, ConcurrentQueue<string> loggedErrors, TestReadiness readiness)
    {
        _app = app;
        Address = address;
        LoggedErrors = loggedErrors;
        Readiness = readiness;
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; }

    /// <summary>The readiness check behind grpc.health.v1: SERVING while it is healthy.</summary>
    public TestReadiness Readiness { get; }

    /// <summary>The text of every Echo call whose handler saw its cancellation token fire.</summary>
    public Channel<string> CancelledCalls { get; } = Channel.CreateUnbounded<string>();

    /// <summary>Errors the server logged.</summary>
    public ConcurrentQueue<string> LoggedErrors { get; }

    /// <summary>Echo calls in flight on the server, and the most seen at once.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Starts a server hosting Echo and <paramref name="services"/>.</summary>
    public static async Task<GrpcTestServer> StartAsync(params IGrpcTestService[] services) => await StartAsync(null, services);

    /// <summary>Starts a server; <paramref name="configure"/> adjusts grpc-dotnet's options (message limits).</summary>
    public static async Task<GrpcTestServer> StartAsync(Action<GrpcServiceOptions>? configure, params IGrpcTestService[] services)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var errors = new ConcurrentQueue<string>();
        builder.Logging.AddProvider(new ErrorCollectingLoggerProvider(errors));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        // A replica that shuts down gives its in-flight calls 1 s, then closes their streams (the default is 30 s).
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var readiness = new TestReadiness();
        builder.Services.AddNvEmbedGrpcServer(ServiceDefaultsExtensions.ReadyTag, EchoService);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.Services.AddHealthChecks().AddCheck("test-readiness", readiness, tags: [ServiceDefaultsExtensions.ReadyTag]);
        var holder = new ServerHolder();
        builder.Services.AddSingleton(holder);
        foreach (var service in services)
        {
            service.Register(builder.Services);
        }

        var app = builder.Build();
        app.MapGrpcService<EchoGrpcService>();
        app.MapNvEmbedGrpcHealth();
        foreach (var service in services)
        {
            service.Map(app);
        }

        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        holder.Server = new GrpcTestServer(app, new Uri(address), errors, readiness);
        return holder.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }

    /// <summary>Stops the server the way a replica shuts down: in-flight calls finish, then the connections close.</summary>
    public Task StopAsync() => _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Random bytes for payloads.</summary>
    public static ByteString RandomPayload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
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

    /// <summary>A ready-tagged health check the test sets.</summary>
    public sealed class TestReadiness : IHealthCheck
    {
        public volatile bool Serving = true;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(Serving ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("told to be not ready"));
    }

    private sealed class ServerHolder
    {
        public GrpcTestServer? Server;
    }

    /// <summary>Echo: waits <c>delay_ms</c> (stopping early when cancelled), fails with <c>fail_status</c>, or echoes.</summary>
    private sealed class EchoGrpcService(ServerHolder holder) : Echo.V1.Echo.EchoBase
    {
        public override async Task<EchoReply> Say(EchoRequest request, ServerCallContext context)
        {
            var server = holder.Server!;
            var now = Interlocked.Increment(ref server._inFlight);
            InterlockedMax(ref server._maxInFlight, now);
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
                        server.CancelledCalls.Writer.TryWrite(request.Text);
                        throw;
                    }
                }

                if (request.FailStatus != 0)
                {
                    throw new RpcException(new Status((StatusCode)request.FailStatus, request.Text));
                }

                return new EchoReply
                {
                    Text = request.Text,
                    Payload = request.Payload,
                    DeadlineRemainingMs = context.Deadline == DateTime.MaxValue ? -1 : (long)(context.Deadline - DateTime.UtcNow).TotalMilliseconds,
                };
            }
            finally
            {
                Interlocked.Decrement(ref server._inFlight);
            }
        }
    }
}
