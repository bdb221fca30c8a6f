using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace NvEmbed.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry for every service (OpenTelemetry.Extensions.Hosting): ASP.NET Core, HttpClient, gRPC client and runtime
/// instrumentation plus the services' own <c>NvEmbed.*</c> meters; metrics are also kept for the Prometheus scrape
/// routes, and everything goes over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the AppHost sets it to the
/// dashboard's).
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Meters and activity sources whose names start with this are collected.</summary>
    public const string NvEmbedPrefix = "NvEmbed";

    // Seconds histograms of the NvEmbed meters: 1 ms .. 60 s (OpenTelemetry's default boundaries are for milliseconds).
    private static readonly double[] s_secondsBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Registers logging, metrics and tracing providers, and the OTLP exporter when an endpoint is configured.</summary>
    public static IHostApplicationBuilder AddNvEmbedTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(NvEmbedPrefix + ".*")
                .AddView(instrument => instrument.Meter.Name.StartsWith(NvEmbedPrefix, StringComparison.Ordinal) && instrument.Unit == "s"
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = s_secondsBoundaries }
                    : null)
                // A scrape sees what was recorded before it (the exporter's default caches an answer for 300 ms).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0))
            .WithTracing(tracing => tracing
                .AddSource(NvEmbedPrefix + ".*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddGrpcClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    // Health probes and scrapes arrive every few seconds; as traces they would bury the requests.
    private static bool IsProbe(PathString path) =>
        path.Value is { } value
        && (value.EndsWith("/metrics", StringComparison.Ordinal) || value.Contains("/health", StringComparison.Ordinal) || value.EndsWith("/alive", StringComparison.Ordinal));
}
