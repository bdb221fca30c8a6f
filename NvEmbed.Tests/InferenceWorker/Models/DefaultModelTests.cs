using NvEmbed.Contracts.ModelRepository;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;
using NvEmbed.InferenceWorker.Models.Onnx;

namespace NvEmbed.Tests.InferenceWorker.Models;

public sealed class DefaultModelTests
{
    [Fact]
    public void Spec_HasTheTargetModelsInterface()
    {
        // Arrange
        var spec = DefaultModel.Spec;

        // Act
        var config = spec.ToConfig();

        // Assert: what downstream systems see is the real model's; depth and MLP width are not.
        Assert.Equal(2048, config.HiddenSize);
        Assert.Equal([384, 512, 768, 1024, 2048], spec.Dimensions!);
        Assert.Equal(8192, spec.MaxTokens);
        Assert.Equal(128256, config.VocabSize);
        Assert.Equal((32, 8, 64), (config.NumHeads, config.NumKeyValueHeads, config.HeadDim));
        Assert.Equal("nvidia/llama-3.2-nv-embedqa-1b-v2", spec.ServedModelName);
        Assert.Contains("GENERATED", spec.Description, StringComparison.Ordinal);
        Assert.True(config.NumLayers < 16 && config.IntermediateSize < 8192);
    }

    [Fact]
    public void EnsureCreated_SecondCall_ReusesTheCachedDirectory()
    {
        // Arrange
        using var temp = new TempDirectory();
        var spec = TinyModelFixture.Spec with { Dimensions = [16, 64], ServedModelName = "tiny", TokenizerJsonPath = null };
        var lines = new List<string>();
        var progress = new Progress<string>(lines.Add);

        // Act
        var first = DefaultModel.EnsureCreated(temp.Path, spec, "tiny", progress);
        var weightsWritten = File.GetLastWriteTimeUtc(Path.Combine(first, "model.safetensors"));
        var second = DefaultModel.EnsureCreated(temp.Path, spec, "tiny");

        // Assert
        Assert.Equal(first, second);
        Assert.Equal(weightsWritten, File.GetLastWriteTimeUtc(Path.Combine(second, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(first, "onnx", "model.onnx")));
        Assert.NotNull(OnnxBuildManifest.TryLoad(Path.Combine(first, "onnx")));
        var settings = ModelServingSettings.Load(first);
        Assert.Equal("tiny", settings.ServedModelName);
        Assert.Equal([16, 64], settings.Dimensions!);
        Assert.True(File.Exists(Path.Combine(first, "tokenizer.json")), "the Llama 3 tokenizer is copied from the build's assets");
        Assert.Equal(ModelDirectory.Open(first).Fingerprint, ModelDirectory.Open(second).Fingerprint);
    }
}
