namespace NvEmbed.InferenceWorker.Batching;

/// <summary>One sequence waiting in the queue: sequence <see cref="Index"/> of <see cref="Job"/>.</summary>
internal sealed class SchedulerEntry(EmbedJob job, int index)
{
    public EmbedJob Job { get; } = job;

    public int Index { get; } = index;

    public int Start => Job.Offsets[Index];

    public int Length => Job.Offsets[Index + 1] - Job.Offsets[Index];

    public ReadOnlySpan<int> Ids => Job.InputIds.AsSpan(Start, Length);

    /// <summary>Set by the batcher when the entry leaves the queue (cut into a batch, or dropped).</summary>
    public bool Removed { get; set; }
}
