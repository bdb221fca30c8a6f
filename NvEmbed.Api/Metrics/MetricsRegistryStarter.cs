using NvEmbed.ServiceDefaults.Metrics;

namespace NvEmbed.Api.Metrics;

/// <summary>
/// Creates ServiceDefaults' <see cref="PrometheusMetrics"/> at startup. It is a singleton that starts listening when it
/// is first resolved, which would otherwise be the first scrape, and measurements made before that would be lost.
/// </summary>
public sealed class MetricsRegistryStarter : IHostedService
{
    private readonly IServiceProvider _services;

    public MetricsRegistryStarter(IServiceProvider services) => _services = services;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _services.GetService<PrometheusMetrics>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
