using System.Globalization;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models.Onnx;
using Xunit.Abstractions;

namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>
/// ONNX Runtime's CPU provider running the built graphs against the plain C# reference forward pass, over
/// the same safetensors: every sequence length × graph variant in float32, and the float16 graphs.
/// </summary>
/// <remarks>
/// NOTE: the CPU provider has no kernel for some float16 nodes (MatMul among them on x86) and widens those
/// to float32 around the node (ONNX Runtime's cast insertion); it has no bfloat16 MatMul at all, so bf16
/// graphs are checked here by their structure (<see cref="LlamaOnnxGraphStructureTests"/>) and by
/// <c>CudaBackendTests</c> on a GPU. The float16 runs here check the 16-bit graph's wiring and the
/// rounding of its weights, rotary tables and activations where the CPU keeps them 16-bit.
/// </remarks>
public sealed class LlamaOnnxAgreementTests(TinyModelFixture fixture, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    public static TheoryData<int, string, GraphVariant> Cases()
    {
        var data = new TheoryData<int, string, GraphVariant>();
        foreach (var length in new[] { 1, 7, 128, 1024 })
        {
            foreach (var variant in new[] { GraphVariant.Plain, GraphVariant.Fused, GraphVariant.FusedMha })
            {
                data.Add(length, "fp32", variant);
            }

            data.Add(length, "fp16", GraphVariant.Fused);
            data.Add(length, "fp16", GraphVariant.FusedMha);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_AnyLengthPrecisionAndVariant_AgreesWithReference(int length, string precision, GraphVariant variant)
    {
        // Arrange
        var backend = fixture.Backend(precision, variant);
        var ids = TinyModelFixture.IdsOfLength(length);
        var expected = fixture.ReferenceEmbedding(length);

        // Act
        var actual = TinyModelFixture.EmbedAlone(backend, ids);

        // Assert
        var cosine = VectorMath.Cosine(actual, expected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AGREEMENT length={length} precision={precision} variant={variant} cosine={cosine:F9} 1-cos={1 - cosine:E2}"));
        Assert.True(cosine >= (precision == "fp32" ? 0.99999 : 0.999), $"cosine {cosine} is below the bound for {precision}");
    }

    [Theory]
    [InlineData(GraphVariant.Plain, "fp32")]
    [InlineData(GraphVariant.Fused, "fp32")]
    [InlineData(GraphVariant.FusedMha, "fp32")]
    [InlineData(GraphVariant.Fused, "fp16")]
    public void Run_SequencePaddedInsideBatch_GivesSameVectorAsAlone(GraphVariant variant, string precision)
    {
        // Arrange: three rows of lengths 7, 128 and 1, padded to 128 with id 0.
        var backend = fixture.Backend(precision, variant);
        int[] lengths = [7, 128, 1];
        const int width = 128;
        var ids = new long[lengths.Length * width];
        var rows = lengths.Select(l => VectorMath.RandomIds(l, TinyModelFixture.Spec.VocabSize, seed: 1000 + l)).ToArray();
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r].CopyTo(ids.AsSpan(r * width));
        }

        var hidden = backend.Info.HiddenSize;
        var batched = new float[lengths.Length * hidden];

        // Act
        backend.Run(new BackendBatch(lengths.Length, width, ids, lengths), batched);

        // Assert
        for (var r = 0; r < rows.Length; r++)
        {
            var alone = TinyModelFixture.EmbedAlone(backend, rows[r]);
            var inBatch = batched.AsSpan(r * hidden, hidden);
            Assert.True(VectorMath.Cosine(inBatch, alone) >= 0.99999, $"row {r}: cosine {VectorMath.Cosine(inBatch, alone)}");
            Assert.True(VectorMath.MaxAbsDifference(inBatch, alone) < (precision == "fp32" ? 1e-5 : 1e-3), $"row {r}: max difference {VectorMath.MaxAbsDifference(inBatch, alone)}");
        }
    }

    [Fact]
    public void Run_LongBatchWithoutPadding_FlashPathGivesTheMaskedPathsVectors()
    {
        // Arrange: two rows of 200 tokens; alone in a batch without padding they take the float32 graph's flash
        // attention, and beside a 201-token row (so padded) the masked attention.
        var backend = fixture.Backend("fp32", GraphVariant.Fused);
        var hidden = backend.Info.HiddenSize;
        var rows = new[] { 200, 200, 201 }.Select((l, i) => VectorMath.RandomIds(l, TinyModelFixture.Spec.VocabSize, seed: 77 + i)).ToArray();
        var unpadded = new float[2 * hidden];
        var padded = new float[3 * hidden];

        // Act
        backend.Run(new BackendBatch(2, 200, rows[0].Concat(rows[1]).ToArray(), new[] { 200, 200 }), unpadded);
        var ids = new long[3 * 201];
        for (var r = 0; r < 3; r++)
        {
            rows[r].CopyTo(ids.AsSpan(r * 201));
        }

        backend.Run(new BackendBatch(3, 201, ids, new[] { 200, 200, 201 }), padded);

        // Assert
        Assert.True(LlamaOnnxBuilder.FlashAttentionMinLength <= 200);
        for (var r = 0; r < 2; r++)
        {
            var flash = unpadded.AsSpan(r * hidden, hidden);
            var masked = padded.AsSpan(r * hidden, hidden);
            Assert.True(VectorMath.MaxAbsDifference(flash, masked) < 1e-5, $"row {r}: max difference {VectorMath.MaxAbsDifference(flash, masked)}");
        }
    }

    [Theory]
    [InlineData(GraphVariant.Fused)]
    [InlineData(GraphVariant.Plain)]
    public void Run_RowDimensions_CutsAndRenormalisesEachRowInsideTheGraph(GraphVariant variant)
    {
        // Arrange: the same sequence three times, asking for 16, 64 (the full size) and 5 dimensions.
        var backend = fixture.Backend("fp32", variant);
        var ids = TinyModelFixture.IdsOfLength(9);
        int[] dimensions = [16, 64, 5];
        var batch = new long[3 * ids.Length];
        for (var r = 0; r < 3; r++)
        {
            ids.CopyTo(batch, r * ids.Length);
        }

        var hidden = backend.Info.HiddenSize;
        var pooled = new float[3 * hidden];
        var full = TinyModelFixture.EmbedAlone(backend, ids);

        // Act
        backend.Run(new BackendBatch(3, ids.Length, batch, new[] { ids.Length, ids.Length, ids.Length }, dimensions), pooled);

        // Assert: the first d values are the full vector's first d renormalised, the rest zero.
        Assert.True(backend.Info.AppliesDimensions);
        for (var r = 0; r < 3; r++)
        {
            var row = pooled.AsSpan(r * hidden, hidden);
            var expected = full.AsSpan(0, dimensions[r]).ToArray();
            var norm = MathF.Sqrt(expected.Sum(v => v * v));
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] /= norm;
            }

            Assert.True(VectorMath.MaxAbsDifference(row[..dimensions[r]], expected) < 1e-5, $"row {r}: max difference {VectorMath.MaxAbsDifference(row[..dimensions[r]], expected)}");
            Assert.All(row[dimensions[r]..].ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [InlineData(1, GraphVariant.Fused)]
    [InlineData(7, GraphVariant.Fused)]
    [InlineData(128, GraphVariant.Fused)]
    [InlineData(1024, GraphVariant.Fused)]
    [InlineData(128, GraphVariant.FusedMha)]
    [InlineData(1024, GraphVariant.FusedMha)]
    public void Run_FusedGraph_AgreesWithPlainGraph(int length, GraphVariant variant)
    {
        // Arrange
        var ids = TinyModelFixture.IdsOfLength(length);

        // Act
        var plain = TinyModelFixture.EmbedAlone(fixture.Backend("fp32", GraphVariant.Plain), ids);
        var fused = TinyModelFixture.EmbedAlone(fixture.Backend("fp32", variant), ids);

        // Assert
        Assert.True(VectorMath.Cosine(fused, plain) >= 0.99999, $"cosine {VectorMath.Cosine(fused, plain)}");
        Assert.True(VectorMath.MaxAbsDifference(fused, plain) < 1e-4, $"max difference {VectorMath.MaxAbsDifference(fused, plain)}");
    }

    [Fact]
    public void Run_ReorderedTokens_ChangesVectorFarBeyondTolerance()
    {
        // Arrange: the agreement bounds mean something only if positions, attention and the layers
        // move the output by much more than they allow.
        var backend = fixture.Backend("fp32", GraphVariant.Plain);
        var ids = TinyModelFixture.IdsOfLength(128);
        var reversed = ids.Reverse().ToArray();

        // Act
        var forward = TinyModelFixture.EmbedAlone(backend, ids);
        var backward = TinyModelFixture.EmbedAlone(backend, reversed);

        // Assert
        var cosine = VectorMath.Cosine(forward, backward);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reversed order cosine={cosine:F6}"));
        Assert.True(cosine < 0.999, $"reversing the tokens left the vector at cosine {cosine}");
    }
}
