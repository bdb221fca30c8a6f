using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NvEmbed.ServiceDefaults.Hosting;
using NvEmbed.ServiceDefaults.Metrics;
using NvEmbed.ServiceDefaults.Telemetry;

namespace NvEmbed.ServiceDefaults;

/// <summary>What every NvEmbed service shares: logging, telemetry, health endpoints and Prometheus metrics.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Health checks tagged with this run only for /health/ready.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Adds logging conventions, OpenTelemetry (OTLP when configured), health checks and the metrics registry.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureLogging();
        builder.AddNvEmbedTelemetry();
        builder.Services.AddHealthChecks();
        builder.Services.AddSingleton(sp => new PrometheusMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddHostedService<MetricsCollectionStarter>();
        builder.Services.AddHostedService<ParentProcessWatcher>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(8));
        return builder;
    }

    /// <summary>
    /// Maps <c>{prefix}/health/live</c> (the process answers), <c>{prefix}/health/ready</c> (every
    /// check tagged <see cref="ReadyTag"/> passes) and <c>{prefix}/metrics</c> (Prometheus text).
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(prefix + "/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks(prefix + "/health/ready", new() { Predicate = c => c.Tags.Contains(ReadyTag) });
        app.MapGet(prefix + "/metrics", WriteMetricsAsync);
        return app;
    }

    /// <summary>Writes the process's metrics in the Prometheus text format.</summary>
    public static async Task WriteMetricsAsync(HttpContext context)
    {
        var metrics = context.RequestServices.GetRequiredService<PrometheusMetrics>();
        context.Response.ContentType = PrometheusMetrics.ContentType;
        await metrics.WriteAsync(context.Response.BodyWriter, context.RequestAborted);
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
