namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// A gRPC call that ended with a status other than OK. Thrown by clients when the server answers
/// with an error, and thrown by server handlers to answer with one.
/// </summary>
public sealed class GrpcCallException : Exception
{
    public GrpcCallException(GrpcStatusCode status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    /// <summary>The call's gRPC status.</summary>
    public GrpcStatusCode Status { get; }

    public override string ToString() => $"gRPC {Status}: {Message}";
}
