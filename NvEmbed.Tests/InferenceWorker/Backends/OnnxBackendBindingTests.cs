using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.Tests.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Backends;

/// <summary>The IOBinding path of <see cref="OnnxBackend"/>: buffers reused, grown when needed, results unchanged.</summary>
public sealed class OnnxBackendBindingTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Run_ShapeSeenBefore_AllocatesNoManagedMemory()
    {
        // Arrange: a 4 × 32 batch run once, so its buffers and bound tensors exist.
        var backend = fixture.Backend("fp32", GraphVariant.Fused);
        var (ids, lengths) = Batch(4, 32);
        var pooled = new float[4 * backend.Info.HiddenSize];
        var batch = new BackendBatch(4, 32, ids, lengths);
        backend.Run(batch, pooled);

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            backend.Run(batch, pooled);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Run_GrowingThenShrinkingBatches_GiveTheSameVectorsAsAlone()
    {
        // Arrange: shapes in an order that grows the buffers twice and comes back to a smaller shape.
        var backend = fixture.Backend("fp32", GraphVariant.Fused);
        (int Rows, int Length)[] shapes = [(1, 8), (3, 300), (40, 130), (2, 17), (3, 300)];

        foreach (var (rows, length) in shapes)
        {
            var (ids, lengths) = Batch(rows, length);
            var hidden = backend.Info.HiddenSize;
            var pooled = new float[rows * hidden];

            // Act
            backend.Run(new BackendBatch(rows, length, ids, lengths), pooled);

            // Assert
            for (var r = 0; r < rows; r++)
            {
                var alone = TinyModelFixture.EmbedAlone(backend, ids.AsSpan(r * length, lengths[r]).ToArray());
                var cosine = VectorMath.Cosine(pooled.AsSpan(r * hidden, hidden), alone);
                Assert.True(cosine >= 0.99999, $"{rows} × {length} row {r}: cosine {cosine}");
            }
        }

        Assert.InRange(backend.CachedShapes, 1, 256);
        Assert.False(backend.UsesCudaPinnedMemory);
    }

    /// <summary>Rows of varied lengths (the first full), right-padded with 0.</summary>
    private static (long[] Ids, int[] Lengths) Batch(int rows, int length)
    {
        var ids = new long[rows * length];
        var lengths = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            lengths[r] = r == 0 ? length : 1 + ((r * 7919) % length);
            VectorMath.RandomIds(lengths[r], TinyModelFixture.Spec.VocabSize, seed: (rows * 1000) + r).CopyTo(ids, r * length);
        }

        return (ids, lengths);
    }
}
