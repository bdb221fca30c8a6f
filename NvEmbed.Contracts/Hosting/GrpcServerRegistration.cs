using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace NvEmbed.Contracts.Hosting;

/// <summary>
/// The gRPC server every NvEmbed service runs: grpc-dotnet (<c>Grpc.AspNetCore</c>) with NvEmbed's message limits, and
/// the standard grpc.health.v1 service (<c>Grpc.AspNetCore.HealthChecks</c>) answering from the same readiness checks as
/// the HTTP <c>/health/ready</c> route. The gRPC endpoint itself must be HTTP/2 only
/// (<c>Kestrel__Endpoints__grpc__Protocols=Http2</c>): Kestrel accepts cleartext HTTP/2 only with prior knowledge.
/// </summary>
public static class GrpcServerRegistration
{
    /// <summary>
    /// Largest request message a service accepts, in bytes. 16 MiB: gRPC's default of 4 MiB is too small for one worker
    /// call of a full batch (512 inputs × 8192 tokens of ids), and for a KServe request of 30 texts of 8192 tokens in
    /// scripts that take 4 UTF-8 bytes a character.
    /// </summary>
    public const int MaxReceiveMessageSize = 16 * 1024 * 1024;

    /// <summary>
    /// Adds the gRPC server and grpc.health.v1. The health service's whole-server status (<c>""</c>) and each of
    /// <paramref name="services"/> is SERVING while every health check tagged <paramref name="readyTag"/> is healthy,
    /// checked when a client asks (no cache).
    /// </summary>
    public static IGrpcServerBuilder AddNvEmbedGrpcServer(this IServiceCollection services, string readyTag, params string[] grpcServices)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(readyTag);
        var builder = services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxReceiveMessageSize;
            // No limit on answers: the client enforces its own (the Api accepts 64 MiB from a worker).
            o.MaxSendMessageSize = null;
        });
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Clear();
            o.Services.Map(string.Empty, check => check.Tags.Contains(readyTag));
            foreach (var name in grpcServices)
            {
                o.Services.Map(name, check => check.Tags.Contains(readyTag));
            }
        });
        return builder;
    }

    /// <summary>Maps grpc.health.v1.Health (Check and Watch).</summary>
    public static IEndpointConventionBuilder MapNvEmbedGrpcHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGrpcHealthChecksService();
    }
}
