using System.Threading.Channels;

namespace NvEmbed.Tokenizer.Grpc;

/// <summary>
/// Runs CPU-bound work on a fixed set of worker threads (one per core by default) behind an explicitly bounded
/// queue: admission is a try-acquire of queue slots, so an overloaded service refuses at once instead of
/// letting latency grow without limit.
/// </summary>
public sealed class TokenizerWorkerPool : IAsyncDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly Task[] _workers;
    private readonly int _capacity;
    private int _queued;

    /// <summary>Starts <paramref name="workers"/> threads; at most <paramref name="capacity"/> items may wait.</summary>
    public TokenizerWorkerPool(int workers, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Number of threads.</summary>
    public int Workers => _workers.Length;

    /// <summary>Items waiting or running.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>
    /// Queues all of <paramref name="work"/> and completes when every item has run; returns null (nothing queued)
    /// when the queue has no room for them all. Items whose <paramref name="cancellationToken"/> fired are skipped.
    /// </summary>
    public Task? TryRunAll(IReadOnlyList<Action> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Interlocked.Add(ref _queued, work.Count) > _capacity)
        {
            Interlocked.Add(ref _queued, -work.Count);
            return null;
        }

        var tasks = new Task[work.Count];
        for (var i = 0; i < work.Count; i++)
        {
            var item = new WorkItem(work[i], cancellationToken);
            tasks[i] = item.Completion.Task;
            _queue.Writer.TryWrite(item);
        }

        return Task.WhenAll(tasks);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    if (item.CancellationToken.IsCancellationRequested)
                    {
                        item.Completion.TrySetCanceled(item.CancellationToken);
                        continue;
                    }

                    item.Work();
                    item.Completion.TrySetResult();
                }
                catch (Exception ex)
                {
                    item.Completion.TrySetException(ex);
                }
                finally
                {
                    Interlocked.Decrement(ref _queued);
                }
            }
        }
    }

    private sealed record WorkItem(Action Work, CancellationToken CancellationToken)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
