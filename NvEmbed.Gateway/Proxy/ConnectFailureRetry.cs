using Yarp.ReverseProxy.Model;

namespace NvEmbed.Gateway.Proxy;

/// <summary>
/// Proxy-pipeline step before load balancing: when the chosen Api replica refused the connection (so it never saw the
/// request and the body was not read), the request goes to another available replica instead of failing. Requests
/// that reached a replica are never repeated.
/// </summary>
public static class ConnectFailureRetry
{
    /// <summary>Runs the rest of the pipeline, once more per replica that refuses the connection.</summary>
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var proxy = context.GetReverseProxyFeature();
        var candidates = proxy.AvailableDestinations;
        while (true)
        {
            await next();
            if (context.Response.HasStarted || context.GetForwarderErrorFeature() is not { } error || !ProxyErrors.IsConnectFailure(error)
                || proxy.ProxiedDestination is not { } failed)
            {
                return;
            }

            var remaining = new List<DestinationState>(candidates.Count);
            foreach (var destination in candidates)
            {
                if (!ReferenceEquals(destination, failed))
                {
                    remaining.Add(destination);
                }
            }

            if (remaining.Count == 0)
            {
                return;
            }

            candidates = remaining;
            proxy.AvailableDestinations = remaining;
            proxy.ProxiedDestination = null;
            context.Features.Set<Yarp.ReverseProxy.Forwarder.IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
    }
}
