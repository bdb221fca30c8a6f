using Microsoft.Extensions.Hosting;

namespace NvEmbed.ServiceDefaults.Metrics;

/// <summary>
/// Creates the <see cref="PrometheusMetrics"/> listener when the host starts, so measurements made
/// before the first scrape are counted (a lazily created listener would miss them).
/// </summary>
internal sealed class MetricsCollectionStarter(PrometheusMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(metrics);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
