using System.ComponentModel.DataAnnotations;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// How the scheduler cuts batches and bounds its queue. Bound from the configuration section
/// <c>InferenceWorker:Batching</c> (environment: <c>InferenceWorker__Batching__MaxBatchTokens</c>, ...).
/// </summary>
public sealed class SchedulerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "InferenceWorker:Batching";

    /// <summary>The token budget used on the CPU execution provider when none is configured.</summary>
    /// <remarks>
    /// On a CPU a batch costs about its token count (measured with <c>bench-scheduler --probe</c> on the
    /// default model: tokens/s stops growing past a few hundred tokens per batch), so a large budget only
    /// makes a lone caller wait behind a multi-second batch, and a warm-up of 2 × 8192 tokens would
    /// need gigabytes for attention scores.
    /// </remarks>
    public const int CpuMaxBatchTokens = 2048;

    /// <summary>
    /// Most padded tokens (rows × longest row) in one batch. Default 16384 on a GPU, TEI's
    /// <c>--max-batch-tokens</c> default: on the target model it is past the point (~290 tokens per
    /// batch on an H100, see anchors.md) where a batch stops being bound by weight reads, and its
    /// activations fit a 24 GB card; <see cref="CpuMaxBatchTokens"/> on the CPU execution provider
    /// unless set. Also the longest sequence the worker accepts.
    /// </summary>
    [Range(1, 1 << 24)]
    public int MaxBatchTokens { get; set; } = 16384;

    /// <summary>Most rows in one batch, whatever their length. Default 1024: keeps the pooled output and
    /// the per-batch bookkeeping small when every sequence is a few tokens long.</summary>
    [Range(1, 1 << 16)]
    public int MaxBatchRows { get; set; } = 1024;

    /// <summary>
    /// Most tokens waiting in the queue (admitted but not yet in a batch). A request that would push the
    /// queue past this is refused at once with RESOURCE_EXHAUSTED (the Api answers 429/503), so memory
    /// stays bounded under overload. Default 262144 = 16 full batches: enough to keep every session
    /// busy while callers back off, 1 MiB of token ids.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxQueueTokens { get; set; } = 262144;

    /// <summary>
    /// How long an idle session waits for more sequences before running a batch below the token budget.
    /// Default 0: a busy session already lets sequences accumulate (the next batch is cut when the budget
    /// is full or the session frees up), so waiting only adds latency to a lone caller. NIM uses 1 ms.
    /// </summary>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How many of the oldest queued sequences are considered (sorted by length) when a batch is cut.
    /// Default 4096: sorting that many lengths costs well under a millisecond, a small fraction of a batch.
    /// </summary>
    [Range(1, 1 << 20)]
    public int SortWindow { get; set; } = 4096;

    /// <summary>
    /// A batch is not grown with a sequence that would take its padding (padded minus real tokens, over
    /// padded tokens) above this; that sequence goes into a later batch instead. Default 0.15: the
    /// padding goal of the worker (issue 5) kept per batch, so no batch wastes more than that.
    /// 1 turns the limit off.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxPaddingRatio { get; set; } = 0.15;

    /// <summary>
    /// Length of the warm-up rows run on every session before the worker reports SERVING (rows are added
    /// up to <see cref="MaxBatchTokens"/>). Default 0 = the model's longest sequence, capped at the token
    /// budget, so the largest batch the scheduler can cut has run once before the first request.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int WarmupSequenceLength { get; set; }
}
