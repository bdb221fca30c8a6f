using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// Per-call load balancing and fail-over over the replicas of one service, on top of grpc-dotnet's generated clients.
/// Each call goes to the replica with the fewest calls in flight (ties in turn, so idle replicas share the load). An
/// attempt that fails because its replica is gone (UNAVAILABLE, connection refused or lost, a stream reset by a replica
/// shutting down) or that outlives its attempt deadline (<see cref="ServiceClientOptions.AttemptFor"/>: a frozen
/// replica) passes the replica over for <see cref="ServiceClientOptions.UnavailableBackoff"/> and moves the call to a
/// replica not yet tried; a replica that refuses the call (RESOURCE_EXHAUSTED, FAILED_PRECONDITION) is not backed off,
/// but the call still moves on. The last replica tried gets the call's whole deadline. Only for methods that are
/// safe to retry (no side effects): Encode, Decode, Embed, ModelInfo.
/// </summary>
/// <remarks>
/// A <c>dns:///</c> entry is one replica here whose calls grpc-dotnet's DNS resolver and round_robin balancer spread
/// over every address; it is never marked tried, so the call may come back to it (another address) up to
/// <see cref="BalancedAttempts"/> times.
/// </remarks>
internal sealed class ReplicaSet<TClient>
{
    /// <summary>Attempts a call may make on a <c>dns:///</c> entry (each lands on the balancer's next address).</summary>
    public const int BalancedAttempts = 3;

    private readonly ServiceReplica<TClient>[] _replicas;
    private readonly string _service;
    private readonly ServiceClientOptions _options;
    private readonly ILogger _logger;
    private readonly int _maxAttempts;
    private int _turn;

    public ReplicaSet(string service, IReadOnlyList<ServiceReplica<TClient>> replicas, ServiceClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        if (replicas.Count == 0)
        {
            throw new ArgumentException("A client needs at least one service address.", nameof(replicas));
        }

        _service = service;
        _replicas = [.. replicas];
        _options = options;
        _logger = logger;
        var balanced = 0;
        foreach (var replica in _replicas)
        {
            balanced += replica.IsBalanced ? 1 : 0;
        }

        _maxAttempts = _replicas.Length - balanced + balanced * BalancedAttempts;
    }

    public IReadOnlyList<Uri> Addresses => Array.ConvertAll(_replicas, static r => r.Address);

    /// <summary>
    /// Runs <paramref name="call"/> with the call options of each attempt until one answers, fails for good, or every
    /// replica was tried; the last failure is thrown.
    /// </summary>
    /// <param name="call">Starts the call on a replica's client.</param>
    /// <param name="deadline">The call's deadline (UTC); no attempt outlives it.</param>
    /// <param name="attemptTimeout">How long one attempt may take while another replica is left to try.</param>
    /// <param name="cancellationToken">The caller's cancellation; it ends the call at once and is never retried.</param>
    public async Task<TResponse> CallAsync<TResponse>(
        Func<TClient, CallOptions, AsyncUnaryCall<TResponse>> call, DateTime deadline, TimeSpan attemptTimeout, CancellationToken cancellationToken)
    {
        bool[]? tried = null;
        var balancedAttempts = 0;
        RpcException? lastFailure = null;
        for (var attempt = 0; attempt < _maxAttempts; attempt++)
        {
            var replica = Pick(tried, balancedAttempts);
            if (replica is null)
            {
                break;
            }

            var isLast = attempt == _maxAttempts - 1 || !HasOtherCandidate(tried, balancedAttempts, replica);
            var now = DateTime.UtcNow;
            var attemptDeadline = isLast || deadline - now <= attemptTimeout ? deadline : now + attemptTimeout;
            replica.Enter();
            try
            {
                using var pending = call(replica.Client, new CallOptions(deadline: attemptDeadline, cancellationToken: cancellationToken));
                var response = await pending.ResponseAsync.ConfigureAwait(false);
                replica.MarkAvailable();
                return response;
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested && Retry(ex, replica, attemptDeadline < deadline, attemptTimeout))
            {
                lastFailure = ex;
                if (replica.IsBalanced)
                {
                    balancedAttempts++;
                }
                else
                {
                    tried ??= new bool[_replicas.Length];
                    tried[replica.Index] = true;
                }
            }
            finally
            {
                replica.Leave();
            }
        }

        throw (Exception?)lastFailure ?? new InvalidOperationException("No replica was tried. This is a bug.");
    }

    /// <summary>
    /// True as soon as one replica answers its grpc.health.v1 check with SERVING; false when every replica answered
    /// otherwise or failed. A frozen replica does not hold the answer up while another one serves: the checks still
    /// waiting are cancelled once the answer is known.
    /// </summary>
    public async Task<bool> AnyServingAsync(CancellationToken cancellationToken)
    {
        using var pendingChecks = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deadline = DateTime.UtcNow + _options.MetadataTimeout;
        var checks = new List<Task<bool>>(_replicas.Length);
        foreach (var replica in _replicas)
        {
            checks.Add(IsServingAsync(replica, deadline, pendingChecks.Token));
        }

        try
        {
            while (checks.Count > 0)
            {
                var answered = await Task.WhenAny(checks).WaitAsync(cancellationToken).ConfigureAwait(false);
                checks.Remove(answered);
                if (await answered.ConfigureAwait(false))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            await pendingChecks.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Whether the replica answers SERVING; any failure, the check's cancellation included, is "no".</summary>
    private static async Task<bool> IsServingAsync(ServiceReplica<TClient> replica, DateTime deadline, CancellationToken cancellationToken)
    {
        try
        {
            var response = await replica.Health.CheckAsync(new HealthCheckRequest(), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    /// <summary>Backs off and logs a replica that failed an attempt; false when the failure is the call's answer.</summary>
    private bool Retry(RpcException error, ServiceReplica<TClient> replica, bool attemptDeadlineOnly, TimeSpan attemptTimeout)
    {
        if (error.StatusCode == StatusCode.DeadlineExceeded && attemptDeadlineOnly)
        {
            replica.MarkUnavailable(_options.UnavailableBackoff);
            ClientLog.AttemptTimedOut(_logger, _service, replica.Address, attemptTimeout.TotalMilliseconds, _options.UnavailableBackoff.TotalMilliseconds);
            return true;
        }

        switch (ReplicaFailures.Classify(error))
        {
            case ReplicaFailure.Gone:
                if (!replica.IsBalanced)
                {
                    replica.MarkUnavailable(_options.UnavailableBackoff);
                }

                ClientLog.ReplicaUnavailable(_logger, _service, replica.Address, error.StatusCode, _options.UnavailableBackoff.TotalMilliseconds, error.Status.Detail);
                return true;
            case ReplicaFailure.Refused:
                ClientLog.ReplicaRefused(_logger, _service, replica.Address, error.StatusCode, error.Status.Detail);
                return true;
            default:
                return false;
        }
    }

    private static bool IsCandidate(ServiceReplica<TClient> replica, bool[]? tried, int balancedAttempts) =>
        replica.IsBalanced ? balancedAttempts < BalancedAttempts : tried is null || !tried[replica.Index];

    private bool HasOtherCandidate(bool[]? tried, int balancedAttempts, ServiceReplica<TClient> current)
    {
        foreach (var replica in _replicas)
        {
            if (replica != current
                ? IsCandidate(replica, tried, balancedAttempts)
                : replica.IsBalanced && balancedAttempts + 1 < BalancedAttempts)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The replica to call: a candidate (not yet tried by this call); among those, one not backing off; then the
    /// fewest calls in flight; ties broken by a rotating start. When every candidate is backing off, the one whose
    /// back-off ends first is tried anyway: failing at once is no better than one more attempt.
    /// </summary>
    private ServiceReplica<TClient>? Pick(bool[]? tried, int balancedAttempts)
    {
        if (_replicas.Length == 1)
        {
            return IsCandidate(_replicas[0], tried, balancedAttempts) ? _replicas[0] : null;
        }

        var now = Environment.TickCount64;
        var start = (int)((uint)Interlocked.Increment(ref _turn) % (uint)_replicas.Length);
        ServiceReplica<TClient>? best = null;
        var bestBackingOff = true;
        for (var k = 0; k < _replicas.Length; k++)
        {
            var replica = _replicas[(start + k) % _replicas.Length];
            if (!IsCandidate(replica, tried, balancedAttempts))
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
