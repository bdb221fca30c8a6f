using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;

namespace NvEmbed.Tests.InferenceWorker.Models;

public sealed class LlamaOnnxBuilderTests
{
    [Fact]
    public void Build_MissingTensor_FailsNamingItAndItsShapeAndWritesNothing()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        ModelFiles.RewriteWeights(dir, (name, shape) => name == "layers.1.mlp.down_proj.weight" ? null : shape);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions()));

        // Assert
        Assert.Contains("'layers.1.mlp.down_proj.weight' is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("[64, 128]", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "onnx")));
        Assert.Empty(Directory.GetDirectories(dir));
    }

    [Fact]
    public void Build_WrongShape_FailsWithExpectedAndActualShapes()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        ModelFiles.RewriteWeights(dir, (name, shape) => name == "layers.0.self_attn.k_proj.weight" ? [64, 64] : shape);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions()));

        // Assert
        Assert.Contains("'layers.0.self_attn.k_proj.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[64, 64]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[32, 64]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TruncatedWeights_FailsBeforeOnnxRuntime()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => OnnxBackend.Open(ModelDirectory.Open(dir), new OnnxBackendOptions()));

        // Assert
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "onnx", "model.onnx")));
    }

    [Fact]
    public void Build_ShardedWithModelPrefix_GivesSameVectorAsSingleFile()
    {
        // Arrange: the same seeded weights, once in one file, once in 3 shards named model.*.
        using var temp = new TempDirectory();
        var single = ModelFiles.CreateTiny(temp.Combine("single"));
        var sharded = ModelFiles.CreateTiny(temp.Combine("sharded"), TinyModelFixture.Spec with { Shards = 3, ModelPrefix = true });
        var ids = VectorMath.RandomIds(9, TinyModelFixture.Spec.VocabSize, 3);

        // Act
        using var a = OnnxBackend.Open(ModelDirectory.Open(single), new OnnxBackendOptions());
        using var b = OnnxBackend.Open(ModelDirectory.Open(sharded), new OnnxBackendOptions());
        var fromSingle = TinyModelFixture.EmbedAlone(a, ids);
        var fromShards = TinyModelFixture.EmbedAlone(b, ids);

        // Assert
        Assert.Equal(3, Directory.GetFiles(sharded, "model-*.safetensors").Length);
        Assert.Equal(fromSingle, fromShards);
    }

    [Fact]
    public void Build_ExternalData_RunsTheSameAsInline()
    {
        // Arrange
        using var temp = new TempDirectory();
        var inline = ModelFiles.CreateTiny(temp.Combine("inline"));
        var external = ModelFiles.CreateTiny(temp.Combine("external"));
        LlamaOnnxBuilder.Build(ModelDirectory.Open(external), new LlamaOnnxBuildOptions { ExternalDataThresholdBytes = 0 });
        var ids = VectorMath.RandomIds(20, TinyModelFixture.Spec.VocabSize, 4);

        // Act
        using var a = OnnxBackend.Open(ModelDirectory.Open(inline), new OnnxBackendOptions());
        using var b = OnnxBackend.Open(ModelDirectory.Open(external), new OnnxBackendOptions());

        // Assert
        Assert.True(File.Exists(Path.Combine(external, "onnx", OnnxFileNames.ExternalData)));
        Assert.False(File.Exists(Path.Combine(inline, "onnx", OnnxFileNames.ExternalData)));
        Assert.Equal(TinyModelFixture.EmbedAlone(a, ids), TinyModelFixture.EmbedAlone(b, ids));
    }

    [Fact]
    public void Open_BuiltWithOtherVariant_RebuildsAndRecordsIt()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions { Variant = GraphVariant.Plain });

        // Act
        using var backend = OnnxBackend.Open(ModelDirectory.Open(dir), new OnnxBackendOptions { GraphVariant = GraphVariant.Fused });

        // Assert
        Assert.Equal("fused", OnnxBuildManifest.TryLoad(Path.Combine(dir, "onnx"))!.Variant);
        Assert.Equal(TinyModelFixture.Spec.HiddenSize, backend.Info.HiddenSize);
    }

    [Fact]
    public void Build_ModelFilesAreSymbolicLinks_BuildsLikeTheFilesThemselves()
    {
        // Arrange: a folder of links to another model's files, as the Hugging Face cache lays snapshots out.
        using var temp = new TempDirectory();
        var real = ModelFiles.CreateTiny(temp.Combine("real"));
        var linked = temp.Combine("linked");
        Directory.CreateDirectory(linked);
        foreach (var file in Directory.GetFiles(real))
        {
            File.CreateSymbolicLink(Path.Combine(linked, Path.GetFileName(file)), file);
        }

        var ids = VectorMath.RandomIds(11, TinyModelFixture.Spec.VocabSize, 5);

        // Act
        using var a = OnnxBackend.Open(ModelDirectory.Open(real), new OnnxBackendOptions());
        using var b = OnnxBackend.Open(ModelDirectory.Open(linked), new OnnxBackendOptions());

        // Assert
        Assert.Equal(TinyModelFixture.EmbedAlone(a, ids), TinyModelFixture.EmbedAlone(b, ids));
        Assert.True(File.Exists(Path.Combine(linked, "onnx", "model.onnx")));
    }
}
