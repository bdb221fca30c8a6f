using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// Client-side load balancing over the replicas of one service: each call goes to the replica with
/// the fewest calls in flight (ties in turn), and a replica that failed with UNAVAILABLE is skipped
/// for <see cref="ServiceClientOptions.UnavailableBackoff"/> while the call is retried on another
/// one. A replica that refuses the call as overloaded (RESOURCE_EXHAUSTED) or not ready for it
/// (FAILED_PRECONDITION) is not backed off (the condition lasts milliseconds) but the call still moves
/// on to a replica not yet tried; the call fails with the last replica's error once every replica
/// failed. Only for methods that are safe to retry (no side effects): Encode, Decode, Embed, ModelInfo.
/// </summary>
internal sealed class ReplicaSet : IDisposable
{
    private readonly ServiceReplica[] _replicas;
    private readonly ServiceClientOptions _options;
    private readonly ILogger _logger;
    private int _turn;

    public ReplicaSet(IReadOnlyList<Uri> addresses, ServiceClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0)
        {
            throw new ArgumentException("A client needs at least one service address.", nameof(addresses));
        }

        _options = options;
        _logger = logger;
        _replicas = new ServiceReplica[addresses.Count];
        for (var i = 0; i < addresses.Count; i++)
        {
            _replicas[i] = new ServiceReplica(i, new GrpcChannel(addresses[i], options.Channel), ownsChannel: true);
        }
    }

    /// <summary>One replica over a channel the caller owns.</summary>
    public ReplicaSet(GrpcChannel channel, ServiceClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _options = options;
        _logger = logger;
        _replicas = [new ServiceReplica(0, channel, ownsChannel: false)];
    }

    public IReadOnlyList<Uri> Addresses => Array.ConvertAll(_replicas, r => r.Channel.Address);

    /// <summary>
    /// Runs <paramref name="call"/> on the least busy replica, moving on to another one after UNAVAILABLE,
    /// RESOURCE_EXHAUSTED or FAILED_PRECONDITION.
    /// </summary>
    public async Task<T> CallAsync<T>(Func<GrpcChannel, Task<T>> call)
    {
        bool[]? tried = null;
        GrpcCallException? lastFailure = null;
        for (var attempt = 0; attempt < _replicas.Length; attempt++)
        {
            var replica = Pick(tried);
            if (replica is null)
            {
                break;
            }

            replica.Enter();
            try
            {
                var result = await call(replica.Channel);
                replica.MarkAvailable();
                return result;
            }
            catch (GrpcCallException ex) when (ex.Status == GrpcStatusCode.Unavailable)
            {
                replica.MarkUnavailable(_options.UnavailableBackoff);
                ClientLog.ReplicaUnavailable(_logger, replica.Channel.Address, _options.UnavailableBackoff.TotalMilliseconds, ex.Message);
                lastFailure = ex;
                tried ??= new bool[_replicas.Length];
                tried[replica.Index] = true;
            }
            catch (GrpcCallException ex) when (ex.Status is GrpcStatusCode.ResourceExhausted or GrpcStatusCode.FailedPrecondition)
            {
                ClientLog.ReplicaRefused(_logger, replica.Channel.Address, ex.Status, ex.Message);
                lastFailure = ex;
                tried ??= new bool[_replicas.Length];
                tried[replica.Index] = true;
            }
            finally
            {
                replica.Leave();
            }
        }

        throw (Exception?)lastFailure ?? new InvalidOperationException("No replica was tried. This is a bug.");
    }

    /// <summary>True when at least one replica answers its health check with SERVING.</summary>
    public async Task<bool> AnyServingAsync(CancellationToken cancellationToken)
    {
        var deadline = _options.MetadataDeadline();
        var checks = new Task<bool>[_replicas.Length];
        for (var i = 0; i < checks.Length; i++)
        {
            checks[i] = new HealthClient(_replicas[i].Channel).IsServingAsync(deadline, cancellationToken);
        }

        foreach (var serving in await Task.WhenAll(checks))
        {
            if (serving)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        foreach (var replica in _replicas)
        {
            if (replica.OwnsChannel)
            {
                replica.Channel.Dispose();
            }
        }
    }

    /// <summary>
    /// The replica to call: not yet tried by this call; among those, one not backing off; then the
    /// fewest calls in flight; ties broken by a rotating start so that idle replicas share the load.
    /// When every untried replica is backing off, the one whose back-off ends first is tried anyway:
    /// failing at once with UNAVAILABLE is no better than one more attempt.
    /// </summary>
    private ServiceReplica? Pick(bool[]? tried)
    {
        if (_replicas.Length == 1)
        {
            return tried is null ? _replicas[0] : null;
        }

        var now = Environment.TickCount64;
        var start = (int)((uint)Interlocked.Increment(ref _turn) % (uint)_replicas.Length);
        ServiceReplica? best = null;
        var bestBackingOff = true;
        for (var k = 0; k < _replicas.Length; k++)
        {
            var replica = _replicas[(start + k) % _replicas.Length];
            if (tried is not null && tried[replica.Index])
            {
                continue;
            }

            var backingOff = replica.IsBackingOff(now);
            var better = best is null
                || (bestBackingOff && !backingOff)
                || (bestBackingOff == backingOff && (backingOff
                    ? replica.UnavailableUntil < best.UnavailableUntil
                    : replica.InFlight < best.InFlight));
            if (better)
            {
                best = replica;
                bestBackingOff = backingOff;
            }
        }

        return best;
    }
}
