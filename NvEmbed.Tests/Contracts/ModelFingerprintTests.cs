using NvEmbed.Contracts.ModelRepository;

namespace NvEmbed.Tests.Contracts;

public sealed class ModelFingerprintTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nvembed-fp-").FullName;

    [Fact]
    public void Compute_BuiltGraphAdded_DoesNotChange()
    {
        WriteModel();
        var before = ModelFingerprint.Compute(_dir);

        Directory.CreateDirectory(Path.Combine(_dir, "onnx"));
        File.WriteAllText(Path.Combine(_dir, "onnx", "model.onnx"), "graph built from the weights");
        File.WriteAllText(Path.Combine(_dir, "onnx", ModelFingerprint.BuiltGraphMarker), "{}");

        Assert.Equal(before, ModelFingerprint.Compute(_dir));
    }

    [Fact]
    public void Compute_ReadyMadeOnnxChanged_Changes()
    {
        WriteModel();
        Directory.CreateDirectory(Path.Combine(_dir, "onnx"));
        File.WriteAllText(Path.Combine(_dir, "onnx", "model.onnx"), "user graph A");
        var before = ModelFingerprint.Compute(_dir);

        File.WriteAllText(Path.Combine(_dir, "onnx", "model.onnx"), "user graph B");

        Assert.NotEqual(before, ModelFingerprint.Compute(_dir));
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("tokenizer.json")]
    [InlineData("model.safetensors")]
    [InlineData("nvembed.json")]
    public void Compute_AnyIdentityFileChanged_Changes(string file)
    {
        WriteModel();
        var before = ModelFingerprint.Compute(_dir);

        File.AppendAllText(Path.Combine(_dir, file), " ");

        Assert.NotEqual(before, ModelFingerprint.Compute(_dir));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteModel()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"hidden_size\": 64}");
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), "{\"model\": {}}");
        File.WriteAllText(Path.Combine(_dir, "nvembed.json"), "{\"max_tokens\": 128}");
        File.WriteAllBytes(Path.Combine(_dir, "model.safetensors"), [1, 2, 3, 4]);
    }
}
