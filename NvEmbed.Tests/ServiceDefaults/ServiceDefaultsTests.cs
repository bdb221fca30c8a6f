using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NvEmbed.ServiceDefaults;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.ServiceDefaults;

/// <summary>AddServiceDefaults/MapDefaultEndpoints on real Kestrel: health routes and Prometheus text from the OpenTelemetry exporter.</summary>
public sealed class ServiceDefaultsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Metrics_NvEmbedMeter_PrometheusTextWithSecondsBuckets()
    {
        // Arrange: a meter of this host (a unique instrument name, since the exporter collects NvEmbed.* process-wide).
        await using var app = await StartAsync(ready: true);
        var name = $"nvembed.test.{Guid.NewGuid():N}";
        var meter = app.Services.GetRequiredService<IMeterFactory>().Create("NvEmbed.Test");
        var counter = meter.CreateCounter<long>(name + ".calls", "{call}", "Calls.");
        var duration = meter.CreateHistogram<double>(name + ".duration", "s", "Call duration.");

        // Act
        counter.Add(2);
        counter.Add(3);
        duration.Record(0.003);
        duration.Record(0.2);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = s_timeout };
        using var response = await http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        // Assert
        var family = name.Replace('.', '_');
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains($"# TYPE {family}_calls_total counter", text, StringComparison.Ordinal);
        Assert.Equal(5, PrometheusText.Sum(text, family + "_calls_total"));
        Assert.Contains($"# TYPE {family}_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Equal(2, PrometheusText.Sum(text, family + "_duration_seconds_count"));
        Assert.Contains($"{family}_duration_seconds_bucket{{otel_scope_name=\"NvEmbed.Test\",le=\"0.005\"}} 1", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.ServiceUnavailable)]
    public async Task Health_ReadyCheck_DecidesReadinessNotLiveness(bool ready, HttpStatusCode readyStatus)
    {
        await using var app = await StartAsync(ready);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = s_timeout };

        var statuses = new Dictionary<string, HttpStatusCode>();
        foreach (var path in new[] { "/alive", "/health/live", "/health", "/health/ready" })
        {
            using var response = await http.GetAsync(path);
            statuses[path] = response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, statuses["/alive"]);
        Assert.Equal(HttpStatusCode.OK, statuses["/health/live"]);
        Assert.Equal(readyStatus, statuses["/health"]);
        Assert.Equal(readyStatus, statuses["/health/ready"]);
    }

    private static async Task<WebApplication> StartAsync(bool ready)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePort.Next()}");
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck(
            "test", () => ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not yet"), tags: [ServiceDefaultsExtensions.ReadyTag]);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync().WaitAsync(s_timeout);
        return app;
    }
}
