namespace NvEmbed.Contracts.Grpc;

/// <summary>Server-side settings of the gRPC transport (<see cref="GrpcServiceCollectionExtensions.AddGrpcTransport"/>).</summary>
public sealed class GrpcTransportOptions
{
    /// <summary>
    /// Largest request message accepted, in bytes; a larger one fails the call with RESOURCE_EXHAUSTED
    /// before its body is read. Default 16 MiB: the gRPC default of 4 MiB is too small for one
    /// worker call of a full batch (e.g. 512 inputs × 8192 tokens × 4 bytes of ids = 16 MiB).
    /// <c>null</c> = no limit.
    /// </summary>
    public int? MaxReceiveMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Largest response message sent, in bytes; a handler answering with a larger one fails the call
    /// with RESOURCE_EXHAUSTED. Default <c>null</c> (no limit), as in the gRPC implementations: the
    /// client enforces its own receive limit.
    /// </summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// When true, the message of an unexpected handler exception is sent to the client in grpc-message.
    /// Default false: exception text can leak internals; the exception is logged on the server instead.
    /// </summary>
    public bool EnableDetailedErrors { get; set; }
}
