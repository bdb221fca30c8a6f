using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Onnx.Proto;
using NvEmbed.InferenceWorker.Models.Safetensors;
using DataType = NvEmbed.InferenceWorker.Models.Onnx.Proto.TensorProto.Types.DataType;

namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>
/// The structure of the built graphs, read back from model.onnx: which operators, in which element types,
/// where values are widened to float32, and what leaves the graph. This is how the bf16 graph is checked
/// on a machine whose ONNX Runtime CPU provider cannot run it.
/// </summary>
public sealed class LlamaOnnxGraphStructureTests
{
    private static readonly GeneratedModelSpec s_spec = TinyModelFixture.Spec with { DType = SafetensorsDType.BF16 };

    [Theory]
    [InlineData("fp16", DataType.Float16)]
    [InlineData("bf16", DataType.Bfloat16)]
    [InlineData("fp32", DataType.Float)]
    public void Build_Fused_UsesFusedKernelsInTheComputeTypeWithFloat32OnlyAroundPooling(string precision, DataType compute)
    {
        // Arrange
        using var temp = new TempDirectory();
        var graph = BuildGraph(temp, precision, GraphVariant.Fused);
        var layers = s_spec.NumLayers;

        // Act
        var ops = graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.ToList());
        var initializers = graph.Initializer.ToDictionary(i => i.Name);

        // Assert: fused norms, rotary and grouped-query attention, and no repeated K/V heads.
        Assert.Single(ops["SimplifiedLayerNormalization"]);
        Assert.Equal(2 * layers, ops["SkipSimplifiedLayerNormalization"].Count);
        Assert.All(ops["SkipSimplifiedLayerNormalization"], n => Assert.Equal("com.microsoft", n.Domain));
        Assert.Equal(2 * layers, ops["RotaryEmbedding"].Count);
        // A float32 graph chooses per batch (an If per layer): a long batch without padding runs com.microsoft
        // MultiHeadAttention without a mask (ONNX Runtime's CPU flash kernel), any other the masked ONNX Attention.
        var attentions = compute == DataType.Float
            ? ops["If"].Select(n => Attribute(n, "else_branch").G.Node.Single(b => b.OpType == "Attention")).ToList()
            : ops["Attention"];
        if (compute == DataType.Float)
        {
            Assert.Equal(layers, ops["If"].Count);
            Assert.False(ops.ContainsKey("Attention"));
            foreach (var branch in ops["If"])
            {
                var flash = Attribute(branch, "then_branch").G.Node.Single(b => b.OpType == "MultiHeadAttention");
                Assert.Equal("com.microsoft", flash.Domain);
                Assert.Equal(3, flash.Input.Count); // no key_padding_mask, or the kernel is not the flash one
                Assert.Equal(s_spec.NumHeads, Attribute(flash, "num_heads").I);
            }
        }
        else
        {
            Assert.False(ops.ContainsKey("If"));
        }

        Assert.Equal(layers, attentions.Count);
        foreach (var attention in attentions)
        {
            Assert.Equal(string.Empty, attention.Domain);
            Assert.Equal(s_spec.NumHeads, Attribute(attention, "q_num_heads").I);
            Assert.Equal(s_spec.NumKeyValueHeads, Attribute(attention, "kv_num_heads").I);
            Assert.Equal(0, Attribute(attention, "is_causal").I);
            Assert.Equal(7, attention.Input.Count); // nonpad_kv_seqlen carries the padding
            Assert.Equal(string.Empty, attention.Input[3]); // no S × S mask tensor
        }

        Assert.False(ops.ContainsKey("Expand"), "K/V heads are repeated");
        Assert.False(ops.ContainsKey("Split"), "a projection is split by copying");
        Assert.False(ops.ContainsKey("Softmax"));

        // Every weight MatMul reads an initializer of the compute type; norms and rotary tables too.
        var weightMatMuls = ops["MatMul"].Where(n => initializers.ContainsKey(n.Input[1])).ToList();
        Assert.Equal(7 * layers, weightMatMuls.Count);
        Assert.All(weightMatMuls, n => Assert.Equal((int)compute, initializers[n.Input[1]].DataType));
        Assert.All(ops["SkipSimplifiedLayerNormalization"], n => Assert.Equal((int)compute, initializers[n.Input[2]].DataType));
        Assert.Equal((int)compute, initializers["rope_cos"].DataType);
        Assert.Equal((int)(compute == DataType.Float ? DataType.Bfloat16 : compute), initializers["embed_tokens.weight"].DataType);
        Assert.Equal(1, Attribute(ops["SimplifiedLayerNormalization"][0], "stash_type").I); // float32 statistics

        // Casts only around pooling: the mean weights into the compute type, the mean back to float32
        // (GEMM accumulation is float32 inside the kernel), the mask, lengths and Matryoshka cut in float32;
        // a float32 graph instead widens the gathered rows of its bf16 embedding table.
        var casts = ops["Cast"].Select(n => (DataType)Attribute(n, "to").I).ToList();
        Assert.All(ops["Cast"], n => Assert.False(initializers.ContainsKey(n.Input[0]), "a weight is cast at run time"));
        Assert.Equal(4, casts.Count(t => t == DataType.Float));
        Assert.Equal(compute == DataType.Float ? 4 : 5, casts.Count);

        // Only the pooled vectors leave the graph.
        var output = Assert.Single(graph.Output);
        Assert.Equal(LlamaOnnxBuilder.EmbeddingsOutput, output.Name);
        Assert.Equal((int)DataType.Float, output.Type.TensorType.ElemType);
        Assert.Equal(2, output.Type.TensorType.Shape.Dim.Count);
        Assert.Equal(["input_ids", "attention_mask", LlamaOnnxBuilder.RowDimensionsInput], graph.Input.Select(i => i.Name).ToArray());
    }

    [Fact]
    public void Build_Bf16AndFp16_DifferOnlyInElementTypes()
    {
        // Arrange
        using var temp = new TempDirectory();

        // Act
        var fp16 = BuildGraph(temp, "fp16", GraphVariant.Fused);
        var bf16 = BuildGraph(temp, "bf16", GraphVariant.Fused);

        // Assert: the same nodes, inputs and attributes, apart from the type a Cast goes to.
        Assert.Equal(fp16.Node.Count, bf16.Node.Count);
        for (var i = 0; i < fp16.Node.Count; i++)
        {
            var a = fp16.Node[i];
            var b = bf16.Node[i];
            Assert.Equal((a.OpType, a.Domain), (b.OpType, b.Domain));
            Assert.Equal(a.Input, b.Input);
            var attributes = a.Attribute.Zip(b.Attribute).Where(p => p.First.Name != "to" || a.OpType != "Cast");
            Assert.All(attributes, p => Assert.Equal(p.First, p.Second));
        }

        Assert.Equal(fp16.Initializer.Select(t => (t.Name, t.Dims.ToArray().Aggregate(1L, (x, y) => x * y))), bf16.Initializer.Select(t => (t.Name, t.Dims.ToArray().Aggregate(1L, (x, y) => x * y))));
    }

    [Fact]
    public void Build_Fp32FromBf16Weights_KeepsTheEmbeddingTable16BitAndWidensGatheredRows()
    {
        // Arrange
        using var temp = new TempDirectory();

        // Act
        var graph = BuildGraph(temp, "fp32", GraphVariant.Fused);

        // Assert
        var table = graph.Initializer.Single(i => i.Name == "embed_tokens.weight");
        Assert.Equal((int)DataType.Bfloat16, table.DataType);
        var gather = graph.Node.Single(n => n.OpType == "Gather");
        var widen = graph.Node.Single(n => n.Input.Contains(gather.Output[0]));
        Assert.Equal("Cast", widen.OpType);
        Assert.Equal((long)DataType.Float, Attribute(widen, "to").I);
    }

    [Fact]
    public void Build_FusedMha_RepeatsKeyValueHeadsForMultiHeadAttention()
    {
        // Arrange
        using var temp = new TempDirectory();

        // Act
        var graph = BuildGraph(temp, "fp16", GraphVariant.FusedMha);

        // Assert
        var mha = graph.Node.Where(n => n.OpType == "MultiHeadAttention").ToList();
        Assert.Equal(s_spec.NumLayers, mha.Count);
        Assert.All(mha, n => Assert.Equal("com.microsoft", n.Domain));
        Assert.Equal(2 * s_spec.NumLayers, graph.Node.Count(n => n.OpType == "Expand"));
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Attention");
    }

    [Fact]
    public void Build_PlainIn16Bits_FailsSayingTheFusedVariantComputesIn16Bits()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"), s_spec);

        // Act
        var error = Assert.Throws<ArgumentException>(() => LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions { Variant = GraphVariant.Plain, Precision = SafetensorsDType.F16 }));

        // Assert
        Assert.Contains("fused variant", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "onnx")));
    }

    private static GraphProto BuildGraph(TempDirectory temp, string precision, GraphVariant variant)
    {
        var dir = ModelFiles.CreateTiny(temp.Combine($"{precision}-{GraphVariants.ToName(variant)}"), s_spec);
        LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions { Precision = SafetensorsDTypes.ParsePrecision(precision), Variant = variant });
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "onnx", "model.onnx")));
        Assert.Contains(model.OpsetImport, o => o.Domain == string.Empty && o.Version == LlamaOnnxBuilder.OnnxOpset);
        return model.Graph;
    }

    private static AttributeProto Attribute(NodeProto node, string name) => node.Attribute.Single(a => a.Name == name);
}
