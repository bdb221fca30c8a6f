using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Contracts.Clients;

/// <summary>One replica of a <see cref="ReplicaSet"/>: its channel, calls in flight, and back-off.</summary>
internal sealed class ServiceReplica(int index, GrpcChannel channel, bool ownsChannel)
{
    private int _inFlight;
    private long _unavailableUntil;

    public int Index { get; } = index;

    public GrpcChannel Channel { get; } = channel;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True while the replica is skipped after an UNAVAILABLE failure (<see cref="Environment.TickCount64"/> clock).</summary>
    public bool IsBackingOff(long now) => Volatile.Read(ref _unavailableUntil) > now;

    public long UnavailableUntil => Volatile.Read(ref _unavailableUntil);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Leave() => Interlocked.Decrement(ref _inFlight);

    public void MarkUnavailable(TimeSpan backoff) =>
        Volatile.Write(ref _unavailableUntil, Environment.TickCount64 + (long)backoff.TotalMilliseconds);

    public void MarkAvailable()
    {
        if (Volatile.Read(ref _unavailableUntil) != 0)
        {
            Volatile.Write(ref _unavailableUntil, 0);
        }
    }

    public bool OwnsChannel { get; } = ownsChannel;
}
