using Microsoft.AspNetCore.Routing;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// Remembers, per route builder, whether the catch-all UNIMPLEMENTED endpoint was mapped, so that
/// it is mapped once whatever the number of MapGrpc* calls. Registered by AddGrpcTransport.
/// </summary>
internal sealed class GrpcMethodRegistry
{
    private readonly HashSet<IEndpointRouteBuilder> _withFallback = [];
    private readonly Lock _lock = new();

    /// <summary>True the first time it is called for <paramref name="endpoints"/>.</summary>
    public bool TryMarkFallback(IEndpointRouteBuilder endpoints)
    {
        lock (_lock)
        {
            return _withFallback.Add(endpoints);
        }
    }
}
