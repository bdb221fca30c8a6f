using System.Globalization;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models.Onnx;
using Xunit.Abstractions;

namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>
/// ONNX Runtime running the built graph against the plain C# reference forward pass, over the same
/// safetensors: every sequence length × weight precision × graph variant the issue names.
/// </summary>
public sealed class LlamaOnnxAgreementTests(TinyModelFixture fixture, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    public static TheoryData<int, string, GraphVariant> Cases()
    {
        var data = new TheoryData<int, string, GraphVariant>();
        foreach (var length in new[] { 1, 7, 128, 1024 })
        {
            foreach (var precision in new[] { "fp32", "fp16", "bf16" })
            {
                foreach (var variant in new[] { GraphVariant.Plain, GraphVariant.Fused })
                {
                    data.Add(length, precision, variant);
                }
            }
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
    [InlineData(GraphVariant.Plain)]
    [InlineData(GraphVariant.Fused)]
    public void Run_SequencePaddedInsideBatch_GivesSameVectorAsAlone(GraphVariant variant)
    {
        // Arrange: three rows of lengths 7, 128 and 1, padded to 128 with id 0.
        var backend = fixture.Backend("fp32", variant);
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
            Assert.True(VectorMath.MaxAbsDifference(inBatch, alone) < 1e-5, $"row {r}: max difference {VectorMath.MaxAbsDifference(inBatch, alone)}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(128)]
    [InlineData(1024)]
    public void Run_FusedGraph_AgreesWithPlainGraph(int length)
    {
        // Arrange
        var ids = TinyModelFixture.IdsOfLength(length);

        // Act
        var plain = TinyModelFixture.EmbedAlone(fixture.Backend("fp32", GraphVariant.Plain), ids);
        var fused = TinyModelFixture.EmbedAlone(fixture.Backend("fp32", GraphVariant.Fused), ids);

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
