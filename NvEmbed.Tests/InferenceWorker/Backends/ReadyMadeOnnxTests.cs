using Google.Protobuf;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Onnx.Proto;
using NvEmbed.Tests.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Backends;

/// <summary>
/// Ready-made ONNX models in the two conventions, made here by rewriting a built graph the way an
/// exporter would lay it out (int32 ids, last_hidden_state only; or a dimensions input), and checked
/// against the built graph they came from.
/// </summary>
public sealed class ReadyMadeOnnxTests
{
    [Fact]
    public void Open_HuggingFaceExportWithInt32Ids_PoolsLastHiddenStateLikeTheBuiltGraph()
    {
        // Arrange
        using var temp = new TempDirectory();
        var source = ModelFiles.CreateTiny(temp.Combine("source"));
        LlamaOnnxBuilder.Build(ModelDirectory.Open(source), new LlamaOnnxBuildOptions { Variant = GraphVariant.Plain });
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(source, "onnx", "model.onnx")));
        MakeIdsInt32(model.Graph);
        ExposeHiddenStatesOnly(model.Graph);
        var export = temp.Combine("export");
        Directory.CreateDirectory(Path.Combine(export, "onnx"));
        File.WriteAllBytes(Path.Combine(export, "onnx", "model.onnx"), model.ToByteArray());
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(export, "config.json"));
        int[] lengths = [5, 12];
        var ids = new long[2 * 12];
        var rows = lengths.Select(l => VectorMath.RandomIds(l, TinyModelFixture.Spec.VocabSize, l)).ToArray();
        rows[0].CopyTo(ids, 0);
        rows[1].CopyTo(ids, 12);

        // Act
        using var built = OnnxBackend.Open(ModelDirectory.Open(source), new OnnxBackendOptions { GraphVariant = GraphVariant.Plain });
        using var exported = OnnxBackend.Open(ModelDirectory.Open(export), new OnnxBackendOptions());
        var pooled = new float[2 * exported.Info.HiddenSize];
        exported.Run(new BackendBatch(2, 12, ids, lengths), pooled);

        // Assert
        Assert.Equal(OnnxModelKind.HuggingFaceExport, exported.Kind);
        for (var r = 0; r < 2; r++)
        {
            var expected = TinyModelFixture.EmbedAlone(built, rows[r]);
            var actual = pooled.AsSpan(r * exported.Info.HiddenSize, exported.Info.HiddenSize);
            Assert.True(VectorMath.Cosine(actual, expected) >= 0.99999, $"row {r}: cosine {VectorMath.Cosine(actual, expected)}");
        }
    }

    [Fact]
    public void Open_NimCustomModelPath_FeedsDimensionsAndReadsEmbeddings()
    {
        // Arrange: embeddings = Slice(full, 0, dimensions) behind a dimensions input, as NIM custom models
        // take it (the built graph's row_dimensions become that one value for every row).
        using var temp = new TempDirectory();
        var source = ModelFiles.CreateTiny(temp.Combine("source"));
        LlamaOnnxBuilder.Build(ModelDirectory.Open(source), new LlamaOnnxBuildOptions { Variant = GraphVariant.Plain });
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(source, "onnx", "model.onnx")));
        AddDimensionsInput(model.Graph);
        var custom = temp.Combine("custom.onnx");
        File.WriteAllBytes(custom, model.ToByteArray());
        var ids = VectorMath.RandomIds(17, TinyModelFixture.Spec.VocabSize, 8);

        // Act
        using var built = OnnxBackend.Open(ModelDirectory.Open(source), new OnnxBackendOptions { GraphVariant = GraphVariant.Plain });
        using var nim = OnnxBackend.Open(ModelDirectory.Open(source), new OnnxBackendOptions { CustomModelPath = custom });
        var actual = TinyModelFixture.EmbedAlone(nim, ids);

        // Assert
        Assert.Equal(OnnxModelKind.NimCustom, nim.Kind);
        Assert.Equal(custom, nim.ModelPath);
        Assert.Equal(TinyModelFixture.Spec.HiddenSize, nim.Info.HiddenSize);
        Assert.True(VectorMath.Cosine(actual, TinyModelFixture.EmbedAlone(built, ids)) >= 0.99999);
    }

    [Fact]
    public void Open_OnnxWithUnknownOutputs_FailsNamingThem()
    {
        // Arrange
        using var temp = new TempDirectory();
        var source = ModelFiles.CreateTiny(temp.Combine("source"));
        LlamaOnnxBuilder.Build(ModelDirectory.Open(source), new LlamaOnnxBuildOptions { Variant = GraphVariant.Plain });
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(source, "onnx", "model.onnx")));
        model.Graph.Output.Single().Name = "logits";
        model.Graph.Node.Single(n => n.Output.Contains(LlamaOnnxBuilder.EmbeddingsOutput)).Output[0] = "logits";
        var custom = temp.Combine("odd.onnx");
        File.WriteAllBytes(custom, model.ToByteArray());

        // Act
        var error = Assert.Throws<ModelFormatException>(() => OnnxBackend.Open(ModelDirectory.Open(source), new OnnxBackendOptions { CustomModelPath = custom }));

        // Assert
        Assert.Contains("logits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_IdOutsideVocabularyOrBadLengths_FailsWithArgumentException()
    {
        // Arrange
        using var temp = new TempDirectory();
        var source = ModelFiles.CreateTiny(temp.Combine("source"));
        using var backend = OnnxBackend.Open(ModelDirectory.Open(source), new OnnxBackendOptions());
        var pooled = new float[backend.Info.HiddenSize];

        // Act
        var badId = Assert.Throws<ArgumentException>(() => backend.Run(new BackendBatch(1, 2, new long[] { 1, 100000 }, new[] { 2 }), pooled));
        var badLength = Assert.Throws<ArgumentException>(() => backend.Run(new BackendBatch(1, 2, new long[] { 1, 2 }, new[] { 3 }), pooled));
        var tooSmall = Assert.Throws<ArgumentException>(() => backend.Run(new BackendBatch(1, 2, new long[] { 1, 2 }, new[] { 2 }), new float[3]));

        // Assert
        Assert.Contains("100000", badId.Message, StringComparison.Ordinal);
        Assert.Contains("length 3", badLength.Message, StringComparison.Ordinal);
        Assert.Contains("holds 3 floats", tooSmall.Message, StringComparison.Ordinal);
    }

    private static void MakeIdsInt32(GraphProto graph)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == "input_ids")
                {
                    node.Input[i] = "input_ids_int64";
                }
            }
        }

        var cast = new NodeProto { OpType = "Cast", Name = "ids_to_int64" };
        cast.Input.Add("input_ids");
        cast.Output.Add("input_ids_int64");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int64 });
        graph.Node.Insert(0, cast);
        graph.Input.Single(i => i.Name == "input_ids").Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int32;
    }

    /// <summary>Makes last_hidden_state the only output and drops the nodes and inputs only the pooling used.</summary>
    private static void ExposeHiddenStatesOnly(GraphProto graph)
    {
        var states = graph.Output.Single().Clone();
        states.Name = LlamaOnnxBuilder.HiddenStatesValue;
        states.Type.TensorType.Shape.Dim.Insert(1, new TensorShapeProto.Types.Dimension { DimParam = "sequence" });
        graph.Output.Clear();
        graph.Output.Add(states);
        var needed = new HashSet<string>(StringComparer.Ordinal) { LlamaOnnxBuilder.HiddenStatesValue };
        var kept = new List<NodeProto>();
        foreach (var node in graph.Node.Reverse())
        {
            if (node.Output.Any(needed.Contains))
            {
                kept.Add(node);
                needed.UnionWith(node.Input);
            }
        }

        kept.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        foreach (var unused in graph.Input.Where(i => !needed.Contains(i.Name)).ToList())
        {
            graph.Input.Remove(unused);
        }
    }

    private static void AddDimensionsInput(GraphProto graph)
    {
        graph.Node.Single(n => n.Output.Contains(LlamaOnnxBuilder.EmbeddingsOutput)).Output[0] = "embeddings_full";
        graph.Input.Remove(graph.Input.Single(i => i.Name == LlamaOnnxBuilder.RowDimensionsInput));
        var idsShape = new NodeProto { OpType = "Shape", Name = "ids_shape", Input = { "input_ids" }, Output = { "ids_shape" } };
        var batch = new NodeProto { OpType = "Slice", Name = "batch_size", Input = { "ids_shape", "slice_start", "slice_axis" }, Output = { "batch_size" } };
        var rows = new NodeProto { OpType = "Expand", Name = "row_dimensions", Input = { "dimensions", "batch_size" }, Output = { LlamaOnnxBuilder.RowDimensionsInput } };
        graph.Node.Insert(0, rows);
        graph.Node.Insert(0, batch);
        graph.Node.Insert(0, idsShape);
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        graph.Input.Add(new ValueInfoProto
        {
            Name = "dimensions",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64, Shape = shape } },
        });
        var zero = new TensorProto { Name = "slice_start", DataType = (int)TensorProto.Types.DataType.Int64 };
        zero.Dims.Add(1);
        zero.Int64Data.Add(0);
        var axis = new TensorProto { Name = "slice_axis", DataType = (int)TensorProto.Types.DataType.Int64 };
        axis.Dims.Add(1);
        axis.Int64Data.Add(1);
        graph.Initializer.Add(zero);
        graph.Initializer.Add(axis);
        var slice = new NodeProto { OpType = "Slice", Name = "matryoshka" };
        slice.Input.Add("embeddings_full");
        slice.Input.Add("slice_start");
        slice.Input.Add("dimensions");
        slice.Input.Add("slice_axis");
        slice.Output.Add(LlamaOnnxBuilder.EmbeddingsOutput);
        graph.Node.Add(slice);
        var output = graph.Output.Single(o => o.Name == LlamaOnnxBuilder.EmbeddingsOutput);
        output.Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "dims" };
    }
}
