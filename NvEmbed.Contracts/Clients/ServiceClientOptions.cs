namespace NvEmbed.Contracts.Clients;

/// <summary>
/// Settings of the typed gRPC clients (<see cref="TokenizerClient"/>, <see cref="InferenceClient"/>), one named
/// instance per service (<see cref="TokenizerClient.Name"/>, <see cref="InferenceClient.Name"/>).
/// </summary>
public sealed class ServiceClientOptions
{
    /// <summary>
    /// Deadline of a work call (Encode, Decode, Embed) when the caller gives none. Default 60 s: an 8192-token batch on
    /// a CPU worker under load takes seconds, not minutes; past a minute the worker is stuck and the caller should get
    /// DEADLINE_EXCEEDED rather than wait forever. The Api passes its own request deadline instead.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Deadline of a metadata call (ModelInfo, health Check). Default 5 s: these answer from memory, and readiness
    /// probes must not hang on a dead service.
    /// </summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The least time one attempt gets before the call moves on to another replica, while another one is left to
    /// try. Default 2 s: a loopback call answers in well under a millisecond and a short query's inference in
    /// milliseconds, so an attempt that has not answered in 2 s is on a frozen or overloaded replica (the fault runs
    /// froze a worker for 15 s while the other one idled). The last replica tried gets the whole deadline.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Time an attempt gets per token of work on top of <see cref="AttemptTimeout"/> (Embed: the call's tokens;
    /// Encode: a token per 4 characters). Default 1 ms: about 4 times the CPU worker's measured cost
    /// (~3,800 tokens/s on 2 cores, InferenceWorker/Batching/README.md), so a large batch is not cut off while it
    /// runs; on a GPU it is a generous bound.
    /// </summary>
    public TimeSpan AttemptTimePerToken { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// How long a replica is passed over after it failed with UNAVAILABLE, went away, or let an attempt's deadline
    /// pass. Default 2 s: long enough not to hammer a restarting or frozen replica with every request, short enough
    /// that a recovered one is used again at once.
    /// </summary>
    public TimeSpan UnavailableBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Largest response message accepted, in bytes. Default 64 MiB: a worker answer for a large batch of full-size
    /// vectors (4096 × 2048 float32 = 32 MiB) is far above gRPC's default of 4 MiB.
    /// </summary>
    public int MaxReceiveMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Time without frames from the server after which an HTTP/2 PING checks that the connection is alive, while
    /// calls are in flight. Default 10 s: a replica that died silently is noticed well before a long deadline.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time to wait for the PING's answer before the connection's calls fail with UNAVAILABLE. Default 5 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time to open a TCP connection before the attempt fails with UNAVAILABLE. Default 5 s (same network).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The deadline of one attempt that carries about <paramref name="tokens"/> tokens of work.</summary>
    internal TimeSpan AttemptFor(long tokens) => AttemptTimeout + AttemptTimePerToken * Math.Max(tokens, 0);
}
