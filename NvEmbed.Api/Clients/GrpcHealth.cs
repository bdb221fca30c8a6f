using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;

namespace NvEmbed.Api.Clients;

/// <summary>The grpc.health.v1 check the Api runs against its backends.</summary>
public static class GrpcHealth
{
    /// <summary>True when the server answers SERVING for the whole server (service "").</summary>
    /// <exception cref="GrpcCallException">The server cannot be reached (UNAVAILABLE) or failed.</exception>
    public static async Task<bool> IsServingAsync(GrpcChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        try
        {
            var response = await channel.UnaryAsync("grpc.health.v1.Health", "Check", new HealthCheckRequest { Service = "" },
                HealthCheckResponse.Parser, DateTime.UtcNow + timeout, cancellationToken).ConfigureAwait(false);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (GrpcCallException ex) when (ex.Status is GrpcStatusCode.NotFound or GrpcStatusCode.Unimplemented)
        {
            return false;
        }
    }
}
