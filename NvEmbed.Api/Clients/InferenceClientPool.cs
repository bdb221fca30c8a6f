using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Api.Clients;

/// <summary>
/// Several inference workers behind one <see cref="IInferenceClient"/>: calls go round robin, and a worker that is
/// unavailable or overloaded is skipped for the next one; the call fails only when every worker failed.
/// </summary>
public sealed class InferenceClientPool : IInferenceClient, IDisposable
{
    private readonly IReadOnlyList<IInferenceClient> _workers;
    private int _next = -1;

    public InferenceClientPool(IReadOnlyList<IInferenceClient> workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentOutOfRangeException.ThrowIfZero(workers.Count);
        _workers = workers;
    }

    /// <summary>Number of workers.</summary>
    public int Count => _workers.Count;

    public Task<EmbeddingBatch> EmbedAsync(ReadOnlyMemory<int> inputIds, ReadOnlyMemory<int> cuSeqLengths, int dimensions, bool normalize, CancellationToken cancellationToken) =>
        CallAsync(worker => worker.EmbedAsync(inputIds, cuSeqLengths, dimensions, normalize, cancellationToken), cancellationToken);

    public Task<InferenceInfo> GetInfoAsync(CancellationToken cancellationToken) =>
        CallAsync(worker => worker.GetInfoAsync(cancellationToken), cancellationToken);

    /// <summary>True when at least one worker is serving.</summary>
    public async Task<bool> IsServingAsync(CancellationToken cancellationToken)
    {
        var checks = new Task<bool>[_workers.Count];
        for (var i = 0; i < checks.Length; i++)
        {
            checks[i] = IsServingSafeAsync(_workers[i], cancellationToken);
        }

        foreach (var serving in await Task.WhenAll(checks).ConfigureAwait(false))
        {
            if (serving)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Disposes the workers' clients.</summary>
    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            (worker as IDisposable)?.Dispose();
        }
    }

    private static async Task<bool> IsServingSafeAsync(IInferenceClient worker, CancellationToken cancellationToken)
    {
        try
        {
            return await worker.IsServingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (GrpcCallException)
        {
            return false;
        }
    }

    private async Task<T> CallAsync<T>(Func<IInferenceClient, Task<T>> call, CancellationToken cancellationToken)
    {
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_workers.Count);
        for (var attempt = 0; ; attempt++)
        {
            var worker = _workers[(start + attempt) % _workers.Count];
            try
            {
                return await call(worker).ConfigureAwait(false);
            }
            catch (GrpcCallException ex) when (attempt + 1 < _workers.Count && !cancellationToken.IsCancellationRequested &&
                ex.Status is GrpcStatusCode.Unavailable or GrpcStatusCode.ResourceExhausted or GrpcStatusCode.FailedPrecondition)
            {
                // Try the next worker.
            }
        }
    }
}
