using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NvEmbed.ServiceDefaults.Hosting;
using NvEmbed.ServiceDefaults.Telemetry;

namespace NvEmbed.ServiceDefaults;

/// <summary>
/// What every NvEmbed service shares, the Aspire way (as the Aspire service-defaults template): logging, OpenTelemetry
/// (OTLP to the dashboard under the AppHost, or to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), service discovery, health
/// endpoints and Prometheus text metrics.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Health checks tagged with this run only for the readiness routes.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Adds logging conventions, OpenTelemetry, service discovery, health checks and the idle memory trim.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureLogging();
        builder.AddNvEmbedTelemetry();
        builder.Services.AddHealthChecks();

        // Resolves http://<service> from services__<service>__<endpoint>__<i> (the AppHost's variables) for HttpClients.
        // NOTE: no standard resilience handler on every HttpClient (the template's): its 10 s attempt timeout and
        // retries would cut and repeat embedding calls that legitimately run longer; the Api's clients retry on their own.
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(8));
        builder.Services.AddHostedService<IdleMemoryTrimmer>();
        return builder;
    }

    /// <summary>
    /// Maps <c>{prefix}/health/live</c> and <c>{prefix}/alive</c> (the process answers), <c>{prefix}/health/ready</c>
    /// and <c>{prefix}/health</c> (every check tagged <see cref="ReadyTag"/> passes; Aspire's names) and
    /// <c>{prefix}/metrics</c> (Prometheus text).
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        var live = new HealthCheckOptions { Predicate = _ => false };
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) };
        app.MapHealthChecks(prefix + "/health/live", live);
        app.MapHealthChecks(prefix + "/alive", live);
        app.MapHealthChecks(prefix + "/health/ready", ready);
        app.MapHealthChecks(prefix + "/health", ready);
        app.MapMetrics(prefix + "/metrics");
        return app;
    }

    /// <summary>Serves the process's metrics in the Prometheus text format at <paramref name="path"/>.</summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder app, string path)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapPrometheusScrapingEndpoint(path);
    }

    // NIM_LOG_LEVEL / LOG_LEVEL set the minimum level (NIM names: DEBUG, INFO, WARNING, ERROR, CRITICAL);
    // NIM_JSONL_LOGGING=1 switches the console to one JSON object per line.
    private static void ConfigureLogging(this IHostApplicationBuilder builder)
    {
        var level = ParseLevel(builder.Configuration["NIM_LOG_LEVEL"] ?? builder.Configuration["LOG_LEVEL"]);
        if (level is { } minimum)
        {
            builder.Logging.SetMinimumLevel(minimum);
        }

        // ASP.NET Core logs every request and endpoint at Information; at thousands of requests a
        // second that drowns the services' own lines. They come back with NIM_LOG_LEVEL=DEBUG.
        if (level is null or > LogLevel.Debug)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }

        // The health-check service logs every Unhealthy result at Error; "not ready yet" while a
        // model loads is expected, and /health/ready answers 503 for it. Real failures surface
        // through the services' own logs.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        builder.Logging.ClearProviders();
        if (IsTrue(builder.Configuration["NIM_JSONL_LOGGING"]))
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
    }

    private static LogLevel? ParseLevel(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" => null,
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "INFO" or "INFORMATION" => LogLevel.Information,
        "WARN" or "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" or "FATAL" => LogLevel.Critical,
        _ => null,
    };

    private static bool IsTrue(string? value) =>
        value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
}
