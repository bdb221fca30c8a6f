using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>/health/ready: healthy once the model is loaded and warmed up (the same moment gRPC health turns SERVING).</summary>
public sealed class InferenceReadinessHealthCheck(InferenceRuntime runtime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(runtime.State == WorkerState.Serving
            ? HealthCheckResult.Healthy("serving")
            : HealthCheckResult.Unhealthy(runtime.StatusMessage));
}
