using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NvEmbed.Contracts.Grpc;

/// <summary>Registers the server side of the gRPC transport.</summary>
public static class GrpcServiceCollectionExtensions
{
    /// <summary>
    /// Adds what <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcUnary"/> and
    /// <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcHealth"/> need: the options and the
    /// singleton <see cref="GrpcHealthService"/>. The gRPC endpoint itself must be HTTP/2
    /// (<c>Kestrel__Endpoints__grpc__Protocols=Http2</c>).
    /// </summary>
    public static IServiceCollection AddGrpcTransport(this IServiceCollection services, Action<GrpcTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<GrpcTransportOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.MaxReceiveMessageSize is null or >= 0 && o.MaxSendMessageSize is null or >= 0,
            "gRPC message size limits must not be negative.");
        services.TryAddSingleton<GrpcHealthService>();
        services.TryAddSingleton<GrpcMethodRegistry>();
        return services;
    }
}
