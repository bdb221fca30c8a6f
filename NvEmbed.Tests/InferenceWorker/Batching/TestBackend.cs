using System.Collections.Concurrent;
using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.Tests.InferenceWorker.Batching;

/// <summary>
/// A backend for scheduler tests: the model is a deterministic function of each row's real tokens
/// (<see cref="ExpectedPooled"/>: mean over tokens of a per-id vector), so a test can check every vector
/// it gets back against a computation done apart from the scheduler. It checks what a real model relies
/// on (padding after the real tokens, one caller at a time) and can be told to block, be slow, or fail.
/// </summary>
public sealed class TestBackend : IEmbeddingBackend
{
    private int _inside;

    public TestBackend(int hiddenSize = 8, int maxTokens = 512, bool outputsNormalized = false, bool appliesDimensions = false)
    {
        Info = new BackendInfo(hiddenSize, maxTokens, "fp32", "test", outputsNormalized || appliesDimensions, appliesDimensions);
    }

    /// <summary>The row dimensions of every batch run (empty when none were passed).</summary>
    public ConcurrentQueue<int[]> Dimensions { get; } = new();

    public BackendInfo Info { get; }

    /// <summary>Every batch run, in order (rows and padded length).</summary>
    public ConcurrentQueue<(int Rows, int SequenceLength, int RealTokens)> Batches { get; } = new();

    /// <summary>When set, each run waits for it (to hold the backend busy while a test queues work).</summary>
    public ManualResetEventSlim? Gate { get; set; }

    /// <summary>Released when a run starts (before it waits on <see cref="Gate"/>).</summary>
    public SemaphoreSlim RunStarted { get; } = new(0);

    /// <summary>Holds every later run at a closed gate, forgetting runs that already started (the warm-up).</summary>
    public ManualResetEventSlim HoldRuns()
    {
        while (RunStarted.Wait(0))
        {
        }

        Gate = new ManualResetEventSlim(false);
        return Gate;
    }

    /// <summary>Sleep per run plus per padded token, to stand in for compute.</summary>
    public TimeSpan DelayPerBatch { get; set; }

    public TimeSpan DelayPerThousandTokens { get; set; }

    /// <summary>A run throws when this returns an exception for the batch.</summary>
    public Func<BackendBatch, Exception?>? FailWhen { get; set; }

    /// <summary>True if two threads were ever inside <see cref="Run"/> at once.</summary>
    public bool ConcurrentCallSeen { get; private set; }

    /// <summary>Calls of <see cref="Run"/>, including failed ones.</summary>
    public int Calls => _calls;

    private int _calls;

    public void Run(BackendBatch batch, Span<float> pooled)
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            ConcurrentCallSeen = true;
        }

        try
        {
            Interlocked.Increment(ref _calls);
            RunStarted.Release();
            Gate?.Wait(TimeSpan.FromSeconds(30));
            if (FailWhen?.Invoke(batch) is { } error)
            {
                throw error;
            }

            var delay = DelayPerBatch + (DelayPerThousandTokens * (batch.Rows * batch.SequenceLength / 1000.0));
            if (delay > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }

            Assert.Equal(batch.Rows * batch.SequenceLength, batch.InputIds.Length);
            Assert.Equal(batch.Rows * Info.HiddenSize, pooled.Length);
            var ids = batch.InputIds.Span;
            var lengths = batch.Lengths.Span;
            var real = 0;
            for (var r = 0; r < batch.Rows; r++)
            {
                var row = ids.Slice(r * batch.SequenceLength, batch.SequenceLength);
                for (var t = lengths[r]; t < batch.SequenceLength; t++)
                {
                    Assert.Equal(0, row[t]);
                }

                real += lengths[r];
                var vector = pooled.Slice(r * Info.HiddenSize, Info.HiddenSize);
                Pool(row[..lengths[r]], vector);
                if (Info.OutputsNormalized)
                {
                    // Like the built graph: keep the row's first d values, normalise them, zero the rest.
                    var keep = Info.AppliesDimensions && !batch.Dimensions.IsEmpty ? batch.Dimensions.Span[r] : Info.HiddenSize;
                    vector[keep..].Clear();
                    var norm = MathF.Sqrt(TensorPrimitivesSumOfSquares(vector));
                    for (var j = 0; j < keep; j++)
                    {
                        vector[j] /= norm;
                    }
                }
            }

            Dimensions.Enqueue(batch.Dimensions.ToArray());

            Batches.Enqueue((batch.Rows, batch.SequenceLength, real));
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }

    /// <summary>What the backend returns for one sequence, computed from its ids alone.</summary>
    public float[] ExpectedPooled(ReadOnlySpan<int> ids)
    {
        var wide = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            wide[i] = ids[i];
        }

        var vector = new float[Info.HiddenSize];
        Pool(wide, vector);
        return vector;
    }

    public void Dispose()
    {
        Gate = null;
    }

    private static float TensorPrimitivesSumOfSquares(ReadOnlySpan<float> values)
    {
        var sum = 0f;
        foreach (var v in values)
        {
            sum += v * v;
        }

        return sum;
    }

    private static void Pool(ReadOnlySpan<long> ids, Span<float> output)
    {
        // A per-token "embedding" (id, dimension) -> value, then the mean over the real tokens.
        output.Clear();
        foreach (var id in ids)
        {
            for (var j = 0; j < output.Length; j++)
            {
                output[j] += MathF.Sin((0.37f * (id + 1)) + (1.3f * j)) + (0.01f * j);
            }
        }

        for (var j = 0; j < output.Length; j++)
        {
            output[j] /= ids.Length;
        }
    }
}
