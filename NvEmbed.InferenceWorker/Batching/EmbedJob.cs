using System.Diagnostics;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// One caller's request inside the scheduler: its sequences (entries) may run in several batches, on
/// several sessions; the last one to finish completes the caller's task.
/// </summary>
internal sealed class EmbedJob
{
    private readonly TaskCompletionSource<EmbedResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _timingLock = new();
    private readonly List<long> _batchIds = [];
    private int _remaining;
    private long _maxQueueTicks;
    private long _inferenceTicks;
    private CancellationTokenRegistration _cancellation;

    public EmbedJob(int[] inputIds, int[] offsets, int dimensions, bool normalize, DateTime? deadline, long enqueuedAt)
    {
        InputIds = inputIds;
        Offsets = offsets;
        Count = offsets.Length - 1;
        Dimensions = dimensions;
        Normalize = normalize;
        Deadline = deadline;
        EnqueuedAt = enqueuedAt;
        Vectors = new byte[Count][];
        _remaining = Count;
        ComputeTokens = offsets[^1] - offsets[0];
    }

    public int[] InputIds { get; }

    public int[] Offsets { get; }

    public int Count { get; }

    public int Dimensions { get; }

    public bool Normalize { get; }

    /// <summary>UTC deadline, or null for none.</summary>
    public DateTime? Deadline { get; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> at admission.</summary>
    public long EnqueuedAt { get; }

    public byte[][] Vectors { get; }

    public int ComputeTokens { get; }

    public Task<EmbedResult> Task => _completion.Task;

    /// <summary>True once the caller has its answer (result, error or cancellation): remaining entries are dropped.</summary>
    public bool IsFinished => _completion.Task.IsCompleted;

    /// <summary>True when the caller cancelled (rather than the job failing).</summary>
    public bool IsCancelled => _completion.Task.IsCanceled;

    public void RegisterCancellation(CancellationToken cancellationToken, Action<EmbedJob> onCancelled)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        _cancellation = cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var (job, callback) = ((EmbedJob, Action<EmbedJob>))state!;
                if (job._completion.TrySetCanceled(token))
                {
                    callback(job);
                }
            },
            (this, onCancelled));
    }

    /// <summary>Records that one of the job's sequences ran in batch <paramref name="batchId"/>.</summary>
    public void AddTiming(long batchId, long queueTicks, long batchTicks)
    {
        lock (_timingLock)
        {
            if (queueTicks > _maxQueueTicks)
            {
                _maxQueueTicks = queueTicks;
            }

            if (!_batchIds.Contains(batchId))
            {
                _batchIds.Add(batchId);
                _inferenceTicks += batchTicks;
            }
        }
    }

    /// <summary>Marks one sequence done; completes the caller's task after the last.</summary>
    public void CompleteOne()
    {
        if (Interlocked.Decrement(ref _remaining) != 0)
        {
            return;
        }

        EmbedResult result;
        lock (_timingLock)
        {
            result = new EmbedResult(
                Vectors,
                Dimensions,
                Stopwatch.GetElapsedTime(0, _maxQueueTicks),
                Stopwatch.GetElapsedTime(0, _inferenceTicks),
                ComputeTokens);
        }

        _completion.TrySetResult(result);
        _cancellation.Unregister();
    }

    /// <summary>Fails the caller's task (the first failure wins); false when it had already finished.</summary>
    public bool Fail(EmbeddingException error)
    {
        var failed = _completion.TrySetException(error);
        _cancellation.Unregister();
        return failed;
    }
}
