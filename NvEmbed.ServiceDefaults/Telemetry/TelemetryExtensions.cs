using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace NvEmbed.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry for every service: traces, metrics and logs exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, nothing otherwise. .NET 10 emits ASP.NET Core and
/// HttpClient activities and meters natively, so no instrumentation packages are needed.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Activity sources and meters whose names start with this are exported.</summary>
    public const string NvEmbedPrefix = "NvEmbed";

    private static readonly string[] s_frameworkSources = ["Microsoft.AspNetCore", "System.Net.Http"];
    private static readonly string[] s_frameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime",
    ];

    /// <summary>Registers the OTLP providers when an endpoint is configured.</summary>
    public static IHostApplicationBuilder AddNvEmbedTelemetry(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName);

        var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(s_frameworkSources)
            .AddSource(NvEmbedPrefix + ".*")
            .AddOtlpExporter()
            .Build();
        var meter = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(s_frameworkMeters)
            .AddMeter(NvEmbedPrefix + ".*")
            .AddOtlpExporter()
            .Build();

        // The container disposes (and so flushes) both providers at shutdown.
        builder.Services.AddSingleton(tracer);
        builder.Services.AddSingleton(meter);
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(resource);
            o.IncludeFormattedMessage = true;
            o.AddOtlpExporter();
        });
        return builder;
    }
}
