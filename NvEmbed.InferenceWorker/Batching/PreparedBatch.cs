using System.Buffers;
using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// A cut batch with its padded id matrix already built (done on the batcher thread while a session
/// still runs the previous batch). Owns pooled buffers until <see cref="Dispose"/>.
/// </summary>
internal sealed class PreparedBatch : IDisposable
{
    private long[]? _ids;
    private int[]? _lengths;
    private int[]? _dimensions;

    private PreparedBatch(long id, SchedulerEntry[] entries, int sequenceLength, int realTokens, int attempt)
    {
        Id = id;
        Entries = entries;
        SequenceLength = sequenceLength;
        RealTokens = realTokens;
        Attempt = attempt;
        _ids = ArrayPool<long>.Shared.Rent(entries.Length * sequenceLength);
        _lengths = ArrayPool<int>.Shared.Rent(entries.Length);
        _dimensions = ArrayPool<int>.Shared.Rent(entries.Length);
    }

    /// <summary>Unique per scheduler, for per-request timing.</summary>
    public long Id { get; }

    /// <summary>The rows, in the order of the id matrix.</summary>
    public SchedulerEntry[] Entries { get; }

    public int Rows => Entries.Length;

    public int SequenceLength { get; }

    public int PaddedTokens => Rows * SequenceLength;

    public int RealTokens { get; }

    /// <summary>0 for a batch as cut; 1 for a retry after a failure.</summary>
    public int Attempt { get; }

    /// <summary>
    /// Builds the padded matrix of <paramref name="entries"/> (the pad id is 0, after each row's tokens) and
    /// each row's Matryoshka size: the caller's, or 0 (the full size) when the caller wants the vector
    /// unnormalised, which a cut-and-renormalise inside the model would not give.
    /// </summary>
    public static PreparedBatch Create(long id, SchedulerEntry[] entries, int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfZero(entries.Length);
        var sequenceLength = 0;
        var realTokens = 0;
        foreach (var entry in entries)
        {
            sequenceLength = Math.Max(sequenceLength, entry.Length);
            realTokens += entry.Length;
        }

        var batch = new PreparedBatch(id, entries, sequenceLength, realTokens, attempt);
        var ids = batch._ids.AsSpan(0, entries.Length * sequenceLength);
        var lengths = batch._lengths.AsSpan(0, entries.Length);
        var dimensions = batch._dimensions.AsSpan(0, entries.Length);
        for (var row = 0; row < entries.Length; row++)
        {
            var job = entries[row].Job;
            dimensions[row] = job.Normalize ? job.Dimensions : 0;
            var source = entries[row].Ids;
            var target = ids.Slice(row * sequenceLength, sequenceLength);
            for (var i = 0; i < source.Length; i++)
            {
                target[i] = source[i];
            }

            target[source.Length..].Clear();
            lengths[row] = source.Length;
        }

        return batch;
    }

    /// <summary>The batch as the backend takes it; <paramref name="hiddenSize"/> stands for "full size" in the row dimensions.</summary>
    public BackendBatch ToBackendBatch(int hiddenSize)
    {
        var ids = _ids ?? throw new ObjectDisposedException(nameof(PreparedBatch));
        var dimensions = _dimensions.AsSpan(0, Rows);
        for (var row = 0; row < dimensions.Length; row++)
        {
            if (dimensions[row] == 0)
            {
                dimensions[row] = hiddenSize;
            }
        }

        return new BackendBatch(Rows, SequenceLength, ids.AsMemory(0, PaddedTokens), _lengths.AsMemory(0, Rows), _dimensions.AsMemory(0, Rows));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ids, null) is { } ids)
        {
            ArrayPool<long>.Shared.Return(ids);
        }

        if (Interlocked.Exchange(ref _lengths, null) is { } lengths)
        {
            ArrayPool<int>.Shared.Return(lengths);
        }

        if (Interlocked.Exchange(ref _dimensions, null) is { } dimensions)
        {
            ArrayPool<int>.Shared.Return(dimensions);
        }
    }
}
