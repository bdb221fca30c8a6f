namespace NvEmbed.Contracts.Grpc;

/// <summary>Client-side settings of a <see cref="GrpcChannel"/>.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>
    /// Largest response message accepted, in bytes; a larger one fails the call with RESOURCE_EXHAUSTED
    /// before its body is read. Default 64 MiB: a worker answer for a large batch of full-size vectors
    /// (e.g. 4096 × 2048 float32 = 32 MiB) is far above the gRPC default of 4 MiB. <c>null</c> = no limit.
    /// </summary>
    public int? MaxReceiveMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Largest request message sent, in bytes; a larger one fails with RESOURCE_EXHAUSTED without being
    /// sent. Default <c>null</c> (no limit), as in the gRPC implementations: the server enforces its own.
    /// </summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Time to establish a TCP connection before the call fails with UNAVAILABLE. Default 5 s: services
    /// are on the same network; a replica that does not accept in 5 s is treated as down.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Time without frames from the server after which an HTTP/2 PING checks that the connection is
    /// alive, while calls are in flight. Default 30 s: a peer that died silently (a killed replica
    /// behind a dropped network) is detected well before a long deadline. Pings are sent only while
    /// calls are active, so that servers enforcing a minimum idle ping interval (gRPC's
    /// "too_many_pings" GOAWAY) do not close the connection.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Time to wait for the PING's answer before the connection is closed and its calls fail with
    /// UNAVAILABLE. Default 20 s (the gRPC keepalive default).
    /// </summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Open more HTTP/2 connections when one reaches the server's concurrent stream limit (Kestrel: 100).
    /// Default true: the Api multiplexes many concurrent calls onto one channel.
    /// </summary>
    public bool EnableMultipleHttp2Connections { get; set; } = true;

    /// <summary>
    /// A handler to send through instead of the channel's own <see cref="SocketsHttpHandler"/> (tests,
    /// in-process servers). The channel does not dispose it. Default <c>null</c>.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}
