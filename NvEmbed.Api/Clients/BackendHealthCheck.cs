using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NvEmbed.Api.Clients;

/// <summary>/health/ready (ServiceDefaults): healthy while the tokenizer and a worker serve the same model, as /v1/health/ready.</summary>
public sealed class BackendHealthCheck : IHealthCheck
{
    private readonly BackendState _backends;

    public BackendHealthCheck(BackendState backends) => _backends = backends;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await _backends.IsReadyAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The tokenizer and an inference worker serving the same model are required.");
}
