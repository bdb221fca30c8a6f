using System.Collections.Concurrent;
using NvEmbed.Contracts.Health.V1;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// The statuses served by the grpc.health.v1 Check method (<see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcHealth"/>).
/// Service <c>""</c> stands for the whole server and starts as SERVING, as in the reference
/// implementations; a service that must warm up first sets NOT_SERVING at start-up and SERVING when ready.
/// A service name never set answers NOT_FOUND, as the health checking protocol specifies.
/// </summary>
public sealed class GrpcHealthService
{
    private readonly ConcurrentDictionary<string, HealthCheckResponse.Types.ServingStatus> _statuses = new(StringComparer.Ordinal);

    public GrpcHealthService()
    {
        _statuses[string.Empty] = HealthCheckResponse.Types.ServingStatus.Serving;
    }

    /// <summary>Sets the status reported for <paramref name="service"/> (<c>""</c> = the whole server).</summary>
    public void SetStatus(string service, HealthCheckResponse.Types.ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        _statuses[service] = status;
    }

    /// <summary>The status of <paramref name="service"/>, or <c>null</c> when it was never set.</summary>
    public HealthCheckResponse.Types.ServingStatus? GetStatus(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return _statuses.TryGetValue(service, out var status) ? status : null;
    }

    /// <summary>Forgets <paramref name="service"/>, so that Check answers NOT_FOUND for it.</summary>
    public void ClearStatus(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _statuses.TryRemove(service, out _);
    }
}
