using System.Text.Json;
using System.Text.Json.Serialization;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>
/// What <see cref="LlamaOnnxBuilder"/> wrote into <c>onnx/</c> (<c>onnx/nvembed-build.json</c>): a
/// built graph is reused only while these match what is asked; an <c>onnx/</c> folder without this
/// file is a ready-made model and is never overwritten.
/// </summary>
public sealed record OnnxBuildManifest
{
    /// <summary>The file name inside onnx/.</summary>
    public const string FileName = NvEmbed.Contracts.ModelRepository.ModelFingerprint.BuiltGraphMarker;

    [JsonPropertyName("generator_version")]
    public required string GeneratorVersion { get; init; }

    [JsonPropertyName("precision")]
    public required string Precision { get; init; }

    [JsonPropertyName("variant")]
    public required string Variant { get; init; }

    [JsonPropertyName("lora")]
    public string? Lora { get; init; }

    [JsonPropertyName("hidden_size")]
    public required int HiddenSize { get; init; }

    [JsonPropertyName("max_positions")]
    public required int MaxPositions { get; init; }

    [JsonPropertyName("external_data")]
    public required bool ExternalData { get; init; }

    [JsonPropertyName("weights_bytes")]
    public required long WeightsBytes { get; init; }

    /// <summary>Reads the manifest of <paramref name="onnxDirectory"/>, or null when there is none (a ready-made model).</summary>
    public static OnnxBuildManifest? TryLoad(string onnxDirectory)
    {
        var path = Path.Combine(onnxDirectory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), ModelsJsonContext.Default.OnnxBuildManifest);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the manifest into <paramref name="onnxDirectory"/>.</summary>
    public void Save(string onnxDirectory) =>
        File.WriteAllBytes(Path.Combine(onnxDirectory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, ModelsJsonContext.Default.OnnxBuildManifest));
}
