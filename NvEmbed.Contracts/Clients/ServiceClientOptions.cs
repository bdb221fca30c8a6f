using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Contracts.Clients;

/// <summary>Settings of the typed gRPC clients (<see cref="TokenizerClient"/>, <see cref="InferenceClient"/>, <see cref="HealthClient"/>).</summary>
public sealed class ServiceClientOptions
{
    /// <summary>
    /// Deadline of a work call (Encode, Decode, Embed), from its start. Default 60 s: an 8192-token
    /// batch on a CPU worker under load takes seconds, not minutes; past a minute the worker is stuck
    /// and the caller should get DEADLINE_EXCEEDED rather than wait forever. <c>null</c> = no deadline
    /// (the caller's cancellation token still applies).
    /// </summary>
    public TimeSpan? CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Deadline of a metadata call (ModelInfo, health Check). Default 5 s: these answer from memory,
    /// and readiness probes must not hang on a dead service.
    /// </summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long <see cref="InferenceClient"/> skips a replica after it failed with UNAVAILABLE (connection
    /// refused, reset, or the server's own UNAVAILABLE). Default 2 s: long enough not to hammer a
    /// restarting worker with every request, short enough that a recovered one is used again at once.
    /// </summary>
    public TimeSpan UnavailableBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Settings of the channels the client creates. Default <c>null</c> = <see cref="GrpcChannelOptions"/> defaults.</summary>
    public GrpcChannelOptions? Channel { get; set; }

    internal DateTime? CallDeadline() => CallTimeout is { } timeout ? DateTime.UtcNow + timeout : null;

    internal DateTime MetadataDeadline() => DateTime.UtcNow + MetadataTimeout;
}
