using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Batching;

/// <summary>A started scheduler over test backends, with its metrics and log.</summary>
public sealed class SchedulerHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public SchedulerHarness(SchedulerOptions options, params TestBackend[] backends)
    {
        Backends = backends;
        Metrics = new MetricCapture();
        Logger = new CapturingLogger<EmbeddingScheduler>();
        Scheduler = new EmbeddingScheduler(backends, options, new SchedulerMetrics(Metrics.Factory), Logger);
        Scheduler.Start();
    }

    public TestBackend[] Backends { get; }

    public MetricCapture Metrics { get; }

    public CapturingLogger<EmbeddingScheduler> Logger { get; }

    public EmbeddingScheduler Scheduler { get; }

    /// <summary>Flat ids and offsets for <paramref name="sequences"/>.</summary>
    public static (int[] Ids, int[] Offsets) Flatten(IReadOnlyList<int[]> sequences)
    {
        var offsets = new int[sequences.Count + 1];
        for (var i = 0; i < sequences.Count; i++)
        {
            offsets[i + 1] = offsets[i] + sequences[i].Length;
        }

        return (sequences.SelectMany(s => s).ToArray(), offsets);
    }

    /// <summary>A sequence of <paramref name="length"/> ids in 1..1000 from <paramref name="random"/>.</summary>
    public static int[] RandomSequence(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => random.Next(1, 1000)).ToArray();

    public Task<EmbedResult> EmbedAsync(IReadOnlyList<int[]> sequences, int dimensions = 0, bool normalize = true, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var (ids, offsets) = Flatten(sequences);
        return Scheduler.EmbedAsync(ids, offsets, dimensions, normalize, deadline, cancellationToken);
    }

    /// <summary>The vector a caller should get for <paramref name="sequence"/>, computed apart from the scheduler.</summary>
    public float[] Expected(int[] sequence, int dimensions, bool normalize)
    {
        var full = Backends[0].ExpectedPooled(sequence);
        var vector = full[..dimensions];
        if (normalize)
        {
            var norm = MathF.Sqrt(vector.Sum(v => v * v));
            vector = vector.Select(v => v / norm).ToArray();
        }

        return vector;
    }

    public static float[] Decode(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    public static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var diff = new float[expected.Length];
        TensorPrimitives.Subtract(expected, actual, diff);
        Assert.True(TensorPrimitives.MaxMagnitude(diff) < 1e-5f, $"vectors differ by {TensorPrimitives.MaxMagnitude(diff)}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in Backends)
        {
            backend.Gate?.Set();
        }

        await Scheduler.DisposeAsync().AsTask().WaitAsync(Timeout);
        Metrics.Dispose();
    }
}
