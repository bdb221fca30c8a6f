using System.Diagnostics.Metrics;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>The scheduler's instruments, on the meter <see cref="MeterName"/>.</summary>
public sealed class SchedulerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "NvEmbed.InferenceWorker";

    private readonly UpDownCounter<long> _queueDepth;
    private readonly UpDownCounter<long> _queueTokens;
    private readonly Histogram<int> _batchRows;
    private readonly Histogram<int> _batchTokens;
    private readonly Histogram<double> _paddingRatio;
    private readonly Histogram<double> _queueDuration;
    private readonly Histogram<double> _inferenceDuration;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _outOfMemory;

    public SchedulerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _queueDepth = meter.CreateUpDownCounter<long>("nvembed.worker.queue.depth", "{sequence}", "Sequences waiting in the queue.");
        _queueTokens = meter.CreateUpDownCounter<long>("nvembed.worker.queue.tokens", "{token}", "Tokens waiting in the queue.");
        _batchRows = meter.CreateHistogram<int>("nvembed.worker.batch.rows", "{row}", "Rows per batch run.");
        _batchTokens = meter.CreateHistogram<int>("nvembed.worker.batch.tokens", "{token}", "Padded tokens (rows × longest row) per batch run.");
        _paddingRatio = meter.CreateHistogram<double>("nvembed.worker.padding.ratio", "1", "Padding tokens over padded tokens, per batch run.");
        _queueDuration = meter.CreateHistogram<double>("nvembed.worker.queue.duration", "s", "Time a sequence waited before its batch ran.");
        _inferenceDuration = meter.CreateHistogram<double>("nvembed.worker.inference.duration", "s", "Time of one batch run on a backend.");
        _dropped = meter.CreateCounter<long>("nvembed.worker.dropped", "{sequence}", "Sequences dropped before the model (caller cancelled, deadline passed, request already failed).");
        _failed = meter.CreateCounter<long>("nvembed.worker.failed", "{sequence}", "Sequences failed by the backend after a retry.");
        _rejected = meter.CreateCounter<long>("nvembed.worker.rejected", "{request}", "Requests refused because the queue was full.");
        _retried = meter.CreateCounter<long>("nvembed.worker.batch.retried", "{batch}", "Failed batches split and retried.");
        _outOfMemory = meter.CreateCounter<long>("nvembed.worker.out_of_memory", "{batch}", "Batches that ran out of device memory (each lowers the batch budget).");
    }

    internal void Enqueued(int sequences, int tokens)
    {
        _queueDepth.Add(sequences);
        _queueTokens.Add(tokens);
    }

    internal void Dequeued(int sequences, int tokens)
    {
        _queueDepth.Add(-sequences);
        _queueTokens.Add(-tokens);
    }

    internal void BatchRan(int rows, int paddedTokens, int realTokens, double seconds)
    {
        _batchRows.Record(rows);
        _batchTokens.Record(paddedTokens);
        _paddingRatio.Record(paddedTokens == 0 ? 0 : (paddedTokens - realTokens) / (double)paddedTokens);
        _inferenceDuration.Record(seconds);
    }

    internal bool QueueDurationEnabled => _queueDuration.Enabled;

    internal void QueueWaited(double seconds) => _queueDuration.Record(seconds);

    internal void Dropped(int sequences, string reason) =>
        _dropped.Add(sequences, new KeyValuePair<string, object?>("reason", reason));

    internal void Failed(int sequences, string reason) =>
        _failed.Add(sequences, new KeyValuePair<string, object?>("reason", reason));

    internal void Rejected() => _rejected.Add(1);

    internal void Retried() => _retried.Add(1);

    internal void OutOfMemory() => _outOfMemory.Add(1);
}
