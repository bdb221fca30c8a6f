using Microsoft.AspNetCore.Routing;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// Remembers the mapped method paths (mapping one twice is a start-up error, not an ambiguous route
/// at the first call) and, per route builder, whether the catch-all UNIMPLEMENTED endpoint was
/// mapped, so that it is mapped once whatever the number of MapGrpc* calls. Registered by AddGrpcTransport.
/// </summary>
internal sealed class GrpcMethodRegistry
{
    private readonly HashSet<IEndpointRouteBuilder> _withFallback = [];
    private readonly HashSet<string> _paths = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="path"/>; throws when it was mapped already (routing would find two endpoints).</summary>
    public void AddMethod(string path)
    {
        lock (_lock)
        {
            if (!_paths.Add(path))
            {
                throw new InvalidOperationException($"The gRPC method {path} is mapped twice (method paths are compared ignoring case, as routing does).");
            }
        }
    }

    /// <summary>True the first time it is called for <paramref name="endpoints"/>.</summary>
    public bool TryMarkFallback(IEndpointRouteBuilder endpoints)
    {
        lock (_lock)
        {
            return _withFallback.Add(endpoints);
        }
    }
}
