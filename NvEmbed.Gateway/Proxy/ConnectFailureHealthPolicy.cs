using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace NvEmbed.Gateway.Proxy;

/// <summary>
/// Passive health policy <c>ConnectFailure</c>: an Api replica whose connection fails (refused, or reset under a request:
/// a process that died) is out of rotation at once, for the cluster's <c>ReactivationPeriod</c> (then the active probe
/// decides). YARP's <c>TransportFailureRate</c> needs a failure rate over a 60 s window, so under load a dead replica kept
/// getting traffic for seconds (fault runs: ~9.5 s, 388 failed requests); a failed connection needs no statistics.
/// Timeouts do not count: a slow replica is not a dead one.
/// </summary>
public sealed class ConnectFailureHealthPolicy(IDestinationHealthUpdater healthUpdater) : IPassiveHealthCheckPolicy
{
    /// <summary>The policy's name in the cluster's <c>HealthCheck:Passive:Policy</c>.</summary>
    public const string PolicyName = "ConnectFailure";

    private static readonly TimeSpan s_defaultReactivation = TimeSpan.FromSeconds(5);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cluster);
        if (context.GetForwarderErrorFeature() is { Error: ForwarderError.Request } && !context.RequestAborted.IsCancellationRequested)
        {
            var reactivation = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? s_defaultReactivation;
            healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, reactivation);
        }
    }
}
