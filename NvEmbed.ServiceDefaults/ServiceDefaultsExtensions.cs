using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NvEmbed.ServiceDefaults;

/// <summary>What every NvEmbed service shares: telemetry, health endpoints and metrics text.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Adds telemetry, health checks and the shared Kestrel conventions.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>Maps /health/live and /health/ready.</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/ready");
        app.MapHealthChecks("/health/live");
        return app;
    }
}
