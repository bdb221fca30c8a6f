using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// Feeds one backend (one ONNX Runtime session) from a dedicated thread. Holds at most one prepared
/// batch besides the one running, so the batcher can build the next batch while this one runs. Results
/// are sliced, normalised and handed to callers on the thread pool, not on this thread.
/// </summary>
internal sealed class BackendRunner
{
    private readonly EmbeddingScheduler _owner;
    private readonly IEmbeddingBackend _backend;
    private readonly SchedulerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;
    private readonly int _hiddenSize;
    private readonly bool _backendNormalizes;
    private readonly bool _backendCutsDimensions;
    private PreparedBatch? _slot;
    private volatile bool _busy;
    private volatile bool _stopping;
    private long _load;

    public BackendRunner(EmbeddingScheduler owner, IEmbeddingBackend backend, int index, SchedulerMetrics metrics, ILogger logger)
    {
        _owner = owner;
        _backend = backend;
        _metrics = metrics;
        _logger = logger;
        Index = index;
        _hiddenSize = backend.Info.HiddenSize;
        _backendNormalizes = backend.Info.OutputsNormalized;
        _backendCutsDimensions = backend.Info.AppliesDimensions;
        _thread = new Thread(RunLoop) { IsBackground = true, Name = $"nvembed-session-{index}" };
    }

    public int Index { get; }

    /// <summary>True when no prepared batch waits on this runner.</summary>
    public bool HasFreeSlot => Volatile.Read(ref _slot) is null;

    /// <summary>True while a batch runs.</summary>
    public bool IsBusy => _busy;

    /// <summary>Padded tokens running or waiting here: the measure of least-loaded dispatch.</summary>
    public long Load => Interlocked.Read(ref _load);

    public void Start() => _thread.Start();

    /// <summary>Hands a batch to this runner; only when <see cref="HasFreeSlot"/>, from the batcher.</summary>
    public void Post(PreparedBatch batch)
    {
        Interlocked.Add(ref _load, batch.PaddedTokens);
        if (Interlocked.CompareExchange(ref _slot, batch, null) is not null)
        {
            throw new InvalidOperationException("A batch was posted to a session that already holds one. This is a bug.");
        }

        _signal.Release();
    }

    /// <summary>Lets the runner finish what it holds, then stops its thread.</summary>
    public void Stop(TimeSpan timeout)
    {
        _stopping = true;
        _signal.Release();
        _thread.Join(timeout);
    }

    private void RunLoop()
    {
        while (true)
        {
            _signal.Wait();
            _busy = true;
            var batch = Interlocked.Exchange(ref _slot, null);
            if (batch is null)
            {
                _busy = false;
                if (_stopping)
                {
                    return;
                }

                continue;
            }

            // The slot is free again: the batcher may prepare the next batch while this one runs.
            _owner.Wake();
            var padded = batch.PaddedTokens;
            try
            {
                Execute(batch);
            }
            finally
            {
                Interlocked.Add(ref _load, -padded);
                _busy = false;
                _owner.Wake();
            }
        }
    }

    private void Execute(PreparedBatch batch)
    {
        if (AllFinished(batch.Entries))
        {
            // Every caller went away while the batch waited here: skip the model.
            _owner.CountDropped(batch.Entries);
            batch.Dispose();
            return;
        }

        try
        {
            RunAndComplete(batch);
            return;
        }
        catch (Exception ex)
        {
            SchedulerLog.BatchFailedRetrying(_logger, batch.Rows, batch.PaddedTokens, Index, ex);
            _metrics.Retried();
            if (IsOutOfMemory(ex))
            {
                _owner.OnOutOfMemory(batch.PaddedTokens, ex);
            }
        }

        // Split the failed batch (rows are sorted by length, so each half is also shorter) and retry
        // each half; a half that fails again fails only its own requests, unless it ran out of device
        // memory: then it is split again, down to single rows.
        var entries = batch.Entries;
        batch.Dispose();
        RetryHalves(entries);
    }

    private void RetryHalves(SchedulerEntry[] entries)
    {
        var live = Array.FindAll(entries, static e => !e.Job.IsFinished);
        if (live.Length == 0)
        {
            return;
        }

        var halves = live.Length == 1 ? [live] : new[] { live[..(live.Length / 2)], live[(live.Length / 2)..] };
        foreach (var half in halves)
        {
            if (AllFinished(half))
            {
                // The first half failed the only requests this half serves.
                _owner.CountDropped(half);
                continue;
            }

            var retry = PreparedBatch.Create(_owner.NextBatchId(), half, attempt: 1);
            try
            {
                RunAndComplete(retry);
            }
            catch (Exception ex) when (IsOutOfMemory(ex) && half.Length > 1)
            {
                SchedulerLog.BatchFailedRetrying(_logger, retry.Rows, retry.PaddedTokens, Index, ex);
                _metrics.Retried();
                _owner.OnOutOfMemory(retry.PaddedTokens, ex);
                RetryHalves(half);
            }
            catch (Exception ex)
            {
                var kind = IsOutOfMemory(ex) ? EmbedErrorKind.OutOfMemory : EmbedErrorKind.Backend;
                SchedulerLog.BatchFailed(_logger, retry.Rows, retry.PaddedTokens, Index, kind, ex);
                FailEntries(retry.Entries, kind, ex);
            }
        }
    }

    private void RunAndComplete(PreparedBatch batch)
    {
        var pooled = ArrayPool<float>.Shared.Rent(batch.Rows * _hiddenSize);
        long started;
        long ended;
        try
        {
            started = Stopwatch.GetTimestamp();
            _backend.Run(batch.ToBackendBatch(_hiddenSize), pooled.AsSpan(0, batch.Rows * _hiddenSize));
            ended = Stopwatch.GetTimestamp();
        }
        catch
        {
            ArrayPool<float>.Shared.Return(pooled);
            batch.Dispose();
            throw;
        }

        _metrics.BatchRan(batch.Rows, batch.PaddedTokens, batch.RealTokens, Stopwatch.GetElapsedTime(started, ended).TotalSeconds);
        ThreadPool.UnsafeQueueUserWorkItem(
            static work => work.Runner.Complete(work.Batch, work.Pooled, work.Started, work.Ended),
            new CompletionWork(this, batch, pooled, started, ended),
            preferLocal: false);
    }

    private void Complete(PreparedBatch batch, float[] pooled, long started, long ended)
    {
        try
        {
            var entries = batch.Entries;
            var recordQueue = _metrics.QueueDurationEnabled;
            for (var row = 0; row < entries.Length; row++)
            {
                var entry = entries[row];
                var job = entry.Job;
                if (job.IsFinished)
                {
                    continue;
                }

                // A normalising backend did the work for the full size, and for every size when it cuts rows itself.
                var normalize = job.Normalize && !(_backendNormalizes && (job.Dimensions == _hiddenSize || _backendCutsDimensions));
                job.Vectors[entry.Index] = VectorPacker.Pack(pooled.AsSpan(row * _hiddenSize, _hiddenSize), job.Dimensions, normalize);
                var queued = started - job.EnqueuedAt;
                if (recordQueue)
                {
                    _metrics.QueueWaited(Stopwatch.GetElapsedTime(job.EnqueuedAt, started).TotalSeconds);
                }

                job.AddTiming(batch.Id, queued, ended - started);
                job.CompleteOne();
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pooled);
            batch.Dispose();
        }
    }

    private void FailEntries(SchedulerEntry[] entries, EmbedErrorKind kind, Exception cause)
    {
        var message = kind == EmbedErrorKind.OutOfMemory
            ? $"The device ran out of memory running this request's sequences, also when retried in a smaller batch; send fewer or shorter inputs, or retry later. ({cause.Message})"
            : $"The model failed on this request's sequences, also when retried in a smaller batch: {cause.Message}";
        var failed = 0;
        foreach (var entry in entries)
        {
            if (!entry.Job.IsFinished)
            {
                failed++;
            }
        }

        foreach (var entry in entries)
        {
            entry.Job.Fail(new EmbeddingException(kind, message, cause));
        }

        _metrics.Failed(failed, kind == EmbedErrorKind.OutOfMemory ? "out_of_memory" : "backend");
    }

    private static bool AllFinished(SchedulerEntry[] entries)
    {
        foreach (var entry in entries)
        {
            if (!entry.Job.IsFinished)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// NOTE: ONNX Runtime reports device memory exhaustion as an OnnxRuntimeException whose message
    /// holds "out of memory" (CUDA) or "Failed to allocate memory" (BFC arena), not as a distinct type.
    /// </summary>
    internal static bool IsOutOfMemory(Exception ex) =>
        ex is OutOfMemoryException
        || ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("Failed to allocate", StringComparison.OrdinalIgnoreCase);

    private sealed record CompletionWork(BackendRunner Runner, PreparedBatch Batch, float[] Pooled, long Started, long Ended);
}
