using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// Token-budget dynamic batching over one or more backends (sessions) fed by one queue.
/// </summary>
/// <remarks>
/// <para>Callers' sequences are admitted against a token bound (<see cref="SchedulerOptions.MaxQueueTokens"/>;
/// over it the call fails at once with <see cref="EmbedErrorKind.Overloaded"/>) and queued in arrival
/// order. One batcher task cuts batches (<see cref="BatchPlanner"/>: length-sorted window, padded
/// tokens within <see cref="SchedulerOptions.MaxBatchTokens"/>, always including the oldest sequence),
/// builds their padded id matrix, and posts them to the least-loaded session with a free slot.</para>
/// <para>A session that is idle gets a batch at once. A session that is busy gets its next batch
/// prepared ahead only when a full budget of tokens is queued: cutting early would only shrink the batch,
/// and sequences that arrive while the session runs join the next batch instead.</para>
/// <para>Sequences whose caller cancelled or whose deadline passed are dropped before the model and
/// counted. A failed batch is split in two and each half retried once; only the sequences of a half
/// that fails again fail. A batch that ran out of device memory is split again and again, down to single
/// rows, and the batch budget is lowered to half of what failed (<see cref="BatchTokens"/>), so later
/// batches fit; the warm-up lowers it the same way until its batch fits.</para>
/// </remarks>
public sealed class EmbeddingScheduler : IAsyncDisposable
{
    private readonly SchedulerOptions _options;
    private readonly SchedulerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IEmbeddingBackend> _backends;
    private readonly BackendRunner[] _runners;
    private readonly ConcurrentQueue<EmbedJob> _incoming = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = false, SingleWriter = false });
    private readonly List<SchedulerEntry> _pending = [];
    private readonly SchedulerEntry[] _window;
    private readonly int[] _windowLengths;
    private readonly long[] _planScratch;
    private readonly int[] _planChosen;
    private readonly Action<EmbedJob> _onCancelled;
    private Task? _batcher;
    private long _pendingTokens;
    private long _queuedTokens;
    private int _dropRequested;
    private long _nextBatchId;
    private int _batchTokens;
    private volatile bool _accepting;
    private volatile bool _stopping;

    /// <summary>Creates a scheduler over <paramref name="backends"/> (all serving the same model). Call <see cref="Start"/> to serve.</summary>
    public EmbeddingScheduler(IReadOnlyList<IEmbeddingBackend> backends, SchedulerOptions options, SchedulerMetrics metrics, ILogger<EmbeddingScheduler> logger)
    {
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        if (backends.Count == 0)
        {
            throw new ArgumentException("At least one backend is needed.", nameof(backends));
        }

        Info = backends[0].Info;
        foreach (var backend in backends)
        {
            if (backend.Info.HiddenSize != Info.HiddenSize)
            {
                throw new ArgumentException($"All backends must serve the same model: hidden sizes {Info.HiddenSize} and {backend.Info.HiddenSize} differ.", nameof(backends));
            }
        }

        if (options.MaxQueueTokens < options.MaxBatchTokens)
        {
            throw new ArgumentException($"MaxQueueTokens ({options.MaxQueueTokens}) must be at least MaxBatchTokens ({options.MaxBatchTokens}).", nameof(options));
        }

        _backends = backends;
        _options = options;
        _batchTokens = options.MaxBatchTokens;
        _metrics = metrics;
        _logger = logger;
        // A sequence longer than the batch budget still runs: the planner seeds every batch with the
        // oldest entry, alone if it is over the budget. The NIM contract takes 8192-token inputs
        // whatever the budget a small device needs.
        MaxSequenceLength = Math.Min(Info.MaxTokens, options.MaxQueueTokens);
        _runners = new BackendRunner[backends.Count];
        for (var i = 0; i < backends.Count; i++)
        {
            _runners[i] = new BackendRunner(this, backends[i], i, metrics, logger);
        }

        var window = Math.Max(1, options.SortWindow);
        _window = new SchedulerEntry[window];
        _windowLengths = new int[window];
        _planScratch = new long[window];
        _planChosen = new int[window];
        _onCancelled = OnJobCancelled;
    }

    /// <summary>What the backends serve.</summary>
    public BackendInfo Info { get; }

    /// <summary>Number of sessions fed by this scheduler.</summary>
    public int SessionCount => _runners.Length;

    /// <summary>The longest sequence accepted: the model's limit (capped at the queue bound).</summary>
    public int MaxSequenceLength { get; }

    /// <summary>
    /// The padded-token budget batches are cut to now: <see cref="SchedulerOptions.MaxBatchTokens"/>, or
    /// less after the device ran out of memory (halved from the batch that failed; never raised again).
    /// </summary>
    public int BatchTokens => Volatile.Read(ref _batchTokens);

    /// <summary>Tokens admitted and not yet cut into a batch.</summary>
    public long QueuedTokens => Interlocked.Read(ref _queuedTokens);

    /// <summary>True between <see cref="Start"/> and <see cref="DisposeAsync"/>.</summary>
    public bool IsAccepting => _accepting;

    /// <summary>
    /// Runs one batch at the token budget on every backend (rows of
    /// <see cref="SchedulerOptions.WarmupSequenceLength"/> tokens), before <see cref="Start"/>, so the
    /// largest allocation and any lazy initialisation happen before the first request. A warm-up batch
    /// that runs out of device memory lowers <see cref="BatchTokens"/> to half and is tried again, until
    /// it is one row. Throws what the backend throws otherwise.
    /// </summary>
    public void WarmUp()
    {
        if (_batcher is not null)
        {
            throw new InvalidOperationException("Warm up before Start: backends are called from one thread at a time.");
        }

        for (var i = 0; i < _backends.Count; i++)
        {
            while (true)
            {
                var budget = BatchTokens;
                var longest = Math.Min(MaxSequenceLength, budget);
                var length = _options.WarmupSequenceLength > 0 ? Math.Min(_options.WarmupSequenceLength, longest) : longest;
                var rows = Math.Clamp(budget / length, 1, _options.MaxBatchRows);
                var ids = new long[rows * length];
                for (var t = 0; t < ids.Length; t++)
                {
                    // Small ids are valid in any vocabulary; vary them so no kernel sees a degenerate input.
                    ids[t] = 1 + (t % 97);
                }

                var lengths = new int[rows];
                Array.Fill(lengths, length);
                var pooled = new float[rows * Info.HiddenSize];
                var started = Stopwatch.GetTimestamp();
                try
                {
                    _backends[i].Run(new BackendBatch(rows, length, ids, lengths), pooled);
                }
                catch (Exception ex) when (BackendRunner.IsOutOfMemory(ex) && rows * length > 1)
                {
                    OnOutOfMemory(rows * length, ex);
                    continue;
                }

                SchedulerLog.WarmedUp(_logger, i, rows, length, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                break;
            }
        }
    }

    /// <summary>
    /// A batch of <paramref name="paddedTokens"/> ran out of device memory: later batches are cut to at
    /// most half of it (the budget only goes down), and the change is logged and counted.
    /// </summary>
    internal void OnOutOfMemory(int paddedTokens, Exception cause)
    {
        var lowered = Math.Max(1, paddedTokens / 2);
        int current;
        do
        {
            current = Volatile.Read(ref _batchTokens);
            if (lowered >= current)
            {
                lowered = current;
                break;
            }
        }
        while (Interlocked.CompareExchange(ref _batchTokens, lowered, current) != current);

        _metrics.OutOfMemory();
        SchedulerLog.OutOfMemory(_logger, paddedTokens, lowered, cause);
    }

    /// <summary>Starts the sessions' threads and the batcher.</summary>
    public void Start()
    {
        if (_batcher is not null)
        {
            throw new InvalidOperationException("The scheduler is already started.");
        }

        foreach (var runner in _runners)
        {
            runner.Start();
        }

        _accepting = true;
        _batcher = Task.Run(RunBatcherAsync);
    }

    /// <summary>
    /// Embeds the sequences of a flat batch: sequence <c>i</c> is <c>inputIds[cuSeqLengths[i] .. cuSeqLengths[i + 1]]</c>.
    /// </summary>
    /// <param name="inputIds">All sequences, concatenated. Kept (not copied) until the call completes.</param>
    /// <param name="cuSeqLengths">Count + 1 offsets, starting at 0 and ending at <c>inputIds.Length</c>.</param>
    /// <param name="dimensions">Matryoshka size: the first <paramref name="dimensions"/> values are kept; 0 = full size.</param>
    /// <param name="normalize">L2-normalise after slicing.</param>
    /// <param name="deadline">UTC time after which sequences not yet run are dropped; null for none.</param>
    /// <param name="cancellationToken">The caller going away: sequences not yet run are dropped.</param>
    /// <exception cref="EmbeddingException">Invalid input, full queue, deadline passed, or a backend failure.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public Task<EmbedResult> EmbedAsync(
        int[] inputIds,
        int[] cuSeqLengths,
        int dimensions,
        bool normalize,
        DateTime? deadline,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(cuSeqLengths);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_accepting)
        {
            throw new EmbeddingException(EmbedErrorKind.Unavailable, "The inference worker is not serving (starting or shutting down).");
        }

        Validate(inputIds, cuSeqLengths, ref dimensions);
        if (deadline is { } due && due <= DateTime.UtcNow)
        {
            throw new EmbeddingException(EmbedErrorKind.DeadlineExceeded, "The request's deadline passed before it was queued.");
        }

        var tokens = inputIds.Length;
        if (tokens > _options.MaxQueueTokens)
        {
            throw new EmbeddingException(EmbedErrorKind.Validation,
                $"The request holds {tokens} tokens, more than the worker's whole queue ({_options.MaxQueueTokens}); split it into smaller requests.");
        }

        if (Interlocked.Add(ref _queuedTokens, tokens) > _options.MaxQueueTokens)
        {
            Interlocked.Add(ref _queuedTokens, -tokens);
            _metrics.Rejected();
            throw new EmbeddingException(EmbedErrorKind.Overloaded,
                $"The inference queue is full ({_options.MaxQueueTokens} tokens); retry later.");
        }

        var job = new EmbedJob(inputIds, cuSeqLengths, dimensions, normalize, deadline, Stopwatch.GetTimestamp());
        _metrics.Enqueued(job.Count, tokens);
        job.RegisterCancellation(cancellationToken, _onCancelled);
        _incoming.Enqueue(job);
        Wake();
        if (_stopping)
        {
            // Lost a race with DisposeAsync: the batcher may already be gone, so answer here.
            job.Fail(new EmbeddingException(EmbedErrorKind.Unavailable, "The inference worker is shutting down."));
        }

        return job.Task;
    }

    /// <summary>Stops accepting, fails what is still queued with <see cref="EmbedErrorKind.Unavailable"/>, and lets the sessions finish their batches.</summary>
    public async ValueTask DisposeAsync()
    {
        _accepting = false;
        _stopping = true;
        Wake();
        if (_batcher is not null)
        {
            await _batcher.ConfigureAwait(false);
            foreach (var runner in _runners)
            {
                runner.Stop(TimeSpan.FromSeconds(30));
            }
        }
    }

    internal void Wake() => _wake.Writer.TryWrite(true);

    internal long NextBatchId() => Interlocked.Increment(ref _nextBatchId);

    /// <summary>Counts entries dropped by a session (all their callers went away before the batch ran).</summary>
    internal void CountDropped(SchedulerEntry[] entries)
    {
        foreach (var entry in entries)
        {
            _metrics.Dropped(1, DropReason(entry.Job));
        }
    }

    private void Validate(int[] inputIds, int[] cuSeqLengths, ref int dimensions)
    {
        if (cuSeqLengths.Length < 2)
        {
            throw new EmbeddingException(EmbedErrorKind.Validation, "The request holds no sequences: cu_seq_lengths needs at least two offsets.");
        }

        if (cuSeqLengths[0] != 0 || cuSeqLengths[^1] != inputIds.Length)
        {
            throw new EmbeddingException(EmbedErrorKind.Validation,
                $"cu_seq_lengths must start at 0 and end at the number of input_ids ({inputIds.Length}), not run from {cuSeqLengths[0]} to {cuSeqLengths[^1]}.");
        }

        for (var i = 0; i + 1 < cuSeqLengths.Length; i++)
        {
            var length = cuSeqLengths[i + 1] - cuSeqLengths[i];
            if (length <= 0)
            {
                throw new EmbeddingException(EmbedErrorKind.Validation, $"Sequence {i} is empty or its offsets decrease (cu_seq_lengths[{i}] = {cuSeqLengths[i]}, [{i + 1}] = {cuSeqLengths[i + 1]}).");
            }

            if (length > MaxSequenceLength)
            {
                throw new EmbeddingException(EmbedErrorKind.Validation, $"Sequence {i} has {length} tokens; the worker accepts at most {MaxSequenceLength}.");
            }
        }

        foreach (var id in inputIds)
        {
            if (id < 0)
            {
                throw new EmbeddingException(EmbedErrorKind.Validation, $"input_ids holds a negative id ({id}).");
            }
        }

        if (dimensions == 0)
        {
            dimensions = Info.HiddenSize;
        }
        else if (dimensions < 0 || dimensions > Info.HiddenSize)
        {
            throw new EmbeddingException(EmbedErrorKind.Validation, $"dimensions must be between 1 and {Info.HiddenSize} (0 = full size), not {dimensions}.");
        }
    }

    private void OnJobCancelled(EmbedJob job)
    {
        Volatile.Write(ref _dropRequested, 1);
        Wake();
    }

    private async Task RunBatcherAsync()
    {
        var reader = _wake.Reader;
        try
        {
            while (!_stopping)
            {
                DrainIncoming();
                if (Interlocked.Exchange(ref _dropRequested, 0) == 1)
                {
                    RemoveFinished();
                }

                var batchWait = Dispatch();
                if (batchWait is { } wait)
                {
                    await Task.WhenAny(reader.WaitToReadAsync().AsTask(), Task.Delay(wait)).ConfigureAwait(false);
                }
                else
                {
                    await reader.WaitToReadAsync().ConfigureAwait(false);
                }

                reader.TryRead(out _);
            }
        }
        catch (Exception ex)
        {
            _accepting = false;
            SchedulerLog.BatcherCrashed(_logger, ex);
        }

        DrainIncoming();
        foreach (var entry in _pending)
        {
            entry.Job.Fail(new EmbeddingException(EmbedErrorKind.Unavailable, "The inference worker is shutting down."));
        }

        RemoveFinished();
    }

    /// <summary>Posts batches while a session can take one; returns how long to wait for a fuller batch, if that is why it stopped.</summary>
    private TimeSpan? Dispatch()
    {
        while (_pending.Count > 0)
        {
            var runner = PickRunner();
            if (runner is null)
            {
                return null;
            }

            var budget = BatchTokens;
            if (runner.IsBusy && _pendingTokens < budget)
            {
                // Prefetch only a full batch; otherwise the busy session's next batch keeps filling.
                return null;
            }

            if (!runner.IsBusy && _options.MaxBatchWait > TimeSpan.Zero && _pendingTokens < budget)
            {
                var age = Stopwatch.GetElapsedTime(_pending[0].Job.EnqueuedAt);
                if (age < _options.MaxBatchWait)
                {
                    return _options.MaxBatchWait - age;
                }
            }

            var batch = Cut();
            if (batch is null)
            {
                return null;
            }

            runner.Post(batch);
        }

        return null;
    }

    /// <summary>The least-loaded session with a free slot, idle sessions first; null when none.</summary>
    private BackendRunner? PickRunner()
    {
        BackendRunner? best = null;
        foreach (var runner in _runners)
        {
            if (!runner.HasFreeSlot)
            {
                continue;
            }

            if (best is null
                || (best.IsBusy && !runner.IsBusy)
                || (best.IsBusy == runner.IsBusy && runner.Load < best.Load))
            {
                best = runner;
            }
        }

        return best;
    }

    /// <summary>Cuts the next batch from the head of the queue, dropping finished or expired entries met on the way.</summary>
    private PreparedBatch? Cut()
    {
        var now = DateTime.UtcNow;
        var count = 0;
        var scanned = 0;
        while (scanned < _pending.Count && count < _window.Length)
        {
            var entry = _pending[scanned++];
            if (DeadReason(entry, now) is { } reason)
            {
                Drop(entry, reason);
                continue;
            }

            _window[count] = entry;
            _windowLengths[count] = entry.Length;
            count++;
        }

        PreparedBatch? batch = null;
        if (count > 0)
        {
            var rows = BatchPlanner.Plan(_windowLengths.AsSpan(0, count), BatchTokens, _options.MaxBatchRows, _options.MaxPaddingRatio, _planScratch, _planChosen);
            var entries = new SchedulerEntry[rows];
            var tokens = 0;
            for (var i = 0; i < rows; i++)
            {
                var entry = _window[_planChosen[i]];
                entry.Removed = true;
                entries[i] = entry;
                tokens += entry.Length;
            }

            Leave(rows, tokens);
            batch = PreparedBatch.Create(NextBatchId(), entries, attempt: 0);
        }

        Array.Clear(_window, 0, count);
        Compact(scanned);
        return batch;
    }

    /// <summary>Why <paramref name="entry"/> leaves the queue unrun ("cancelled", "deadline", "request_failed"), or null while it is live.</summary>
    private static string? DeadReason(SchedulerEntry entry, DateTime now)
    {
        var job = entry.Job;
        if (job.IsFinished)
        {
            return DropReason(job);
        }

        return job.Deadline is { } deadline && deadline <= now ? "deadline" : null;
    }

    private void Drop(SchedulerEntry entry, string reason)
    {
        entry.Removed = true;
        Leave(1, entry.Length);

        // Counted before the caller is answered: a caller that sees DeadlineExceeded also sees it counted.
        _metrics.Dropped(1, reason);
        if (reason == "deadline" && !entry.Job.IsFinished)
        {
            entry.Job.Fail(new EmbeddingException(EmbedErrorKind.DeadlineExceeded, "The request's deadline passed while it waited in the inference queue."));
        }
    }

    private static string DropReason(EmbedJob job) =>
        job.IsCancelled ? "cancelled"
        : job.Task.Exception?.InnerException is EmbeddingException { Kind: EmbedErrorKind.DeadlineExceeded } ? "deadline"
        : "request_failed";

    private void Leave(int sequences, int tokens)
    {
        _pendingTokens -= tokens;
        Interlocked.Add(ref _queuedTokens, -tokens);
        _metrics.Dequeued(sequences, tokens);
    }

    /// <summary>Removes the entries marked <see cref="SchedulerEntry.Removed"/> among the first <paramref name="prefix"/>.</summary>
    private void Compact(int prefix)
    {
        var write = 0;
        for (var read = 0; read < prefix; read++)
        {
            var entry = _pending[read];
            if (!entry.Removed)
            {
                _pending[write++] = entry;
            }
        }

        _pending.RemoveRange(write, prefix - write);
    }

    private void DrainIncoming()
    {
        while (_incoming.TryDequeue(out var job))
        {
            for (var i = 0; i < job.Count; i++)
            {
                _pending.Add(new SchedulerEntry(job, i));
            }

            _pendingTokens += job.ComputeTokens;
        }
    }

    /// <summary>Drops every queued entry whose caller has its answer already (cancelled, failed) or whose deadline passed.</summary>
    private void RemoveFinished()
    {
        var now = DateTime.UtcNow;
        foreach (var entry in _pending)
        {
            if (DeadReason(entry, now) is { } reason)
            {
                Drop(entry, reason);
            }
        }

        Compact(_pending.Count);
    }
}
