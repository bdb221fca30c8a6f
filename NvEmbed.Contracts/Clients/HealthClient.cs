using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;

namespace NvEmbed.Contracts.Clients;

/// <summary>A client of the standard grpc.health.v1 Check method.</summary>
public sealed class HealthClient
{
    private readonly GrpcChannel _channel;

    public HealthClient(GrpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
    }

    /// <summary>
    /// The status the server reports for <paramref name="service"/> (<c>""</c> = the whole server).
    /// An unknown service answers NOT_FOUND, which throws <see cref="GrpcCallException"/> like any failure.
    /// </summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckAsync(string service, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        var response = await _channel.UnaryAsync(GrpcEndpointRouteBuilderExtensions.HealthServiceName, "Check",
            new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser, deadline, cancellationToken);
        return response.Status;
    }

    /// <summary>
    /// True when the whole server answers SERVING; false when it answers anything else or the check
    /// fails (unreachable, deadline). Cancelling <paramref name="cancellationToken"/> still throws.
    /// </summary>
    public async Task<bool> IsServingAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await CheckAsync(string.Empty, deadline, cancellationToken) == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (GrpcCallException)
        {
            return false;
        }
    }
}
