using Grpc.Health.V1;

namespace NvEmbed.Contracts.Clients;

/// <summary>One entry of a <see cref="ReplicaSet{TClient}"/>: its generated clients, calls in flight, and back-off.</summary>
/// <param name="index">Its position in configuration order.</param>
/// <param name="address">The configured address.</param>
/// <param name="client">The service's generated client on this replica's channel.</param>
/// <param name="health">The grpc.health.v1 client of the same replica.</param>
internal sealed class ServiceReplica<TClient>(int index, Uri address, TClient client, Health.HealthClient health)
{
    private int _inFlight;
    private long _unavailableUntil;

    public int Index { get; } = index;

    public Uri Address { get; } = address;

    public TClient Client { get; } = client;

    public Health.HealthClient Health { get; } = health;

    /// <summary>True for a <c>dns:///</c> entry: grpc-dotnet balances its calls over every address the name resolves to.</summary>
    public bool IsBalanced { get; } = ServiceAddresses.IsBalanced(address);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When the back-off ends (<see cref="Environment.TickCount64"/> clock); 0 when there is none.</summary>
    public long UnavailableUntil => Volatile.Read(ref _unavailableUntil);

    /// <summary>True while the replica is passed over after a failure.</summary>
    public bool IsBackingOff(long now) => UnavailableUntil > now;

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
}
