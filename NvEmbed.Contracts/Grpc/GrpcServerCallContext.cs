namespace NvEmbed.Contracts.Grpc;

/// <summary>What a unary handler knows about the call it serves.</summary>
public sealed class GrpcServerCallContext
{
    internal GrpcServerCallContext(string method, DateTime? deadline, string? peer, CancellationToken cancellationToken)
    {
        Method = method;
        Deadline = deadline;
        Peer = peer;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, <c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    /// <summary>When the client stops waiting (UTC), from its grpc-timeout; <c>null</c> when it sent none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>The client's address, <c>ip:port</c>, when known.</summary>
    public string? Peer { get; }

    /// <summary>Fires when the client cancels the call (HTTP/2 RST_STREAM) or its deadline passes.</summary>
    public CancellationToken CancellationToken { get; }
}
