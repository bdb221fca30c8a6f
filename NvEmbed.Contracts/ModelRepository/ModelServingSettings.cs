using System.Text.Json;
using System.Text.Json.Serialization;

namespace NvEmbed.Contracts.ModelRepository;

/// <summary>
/// The serving settings of a model directory, read from its <c>nvembed.json</c>. Every field is
/// optional; a directory without the file is served with the defaults below.
/// </summary>
public sealed record ModelServingSettings
{
    /// <summary>The file name inside a model directory.</summary>
    public const string FileName = "nvembed.json";

    /// <summary>The id clients send as <c>model</c> and see in /v1/models. Default: the directory's name.</summary>
    [JsonPropertyName("served_model_name")]
    public string? ServedModelName { get; init; }

    /// <summary>Token limit, special tokens included. Default 8192 (the target model's).</summary>
    [JsonPropertyName("max_tokens")]
    public int MaxTokens { get; init; } = 8192;

    /// <summary>Matryoshka sizes, ascending, the last being the full size. Default: only the full size.</summary>
    [JsonPropertyName("dimensions")]
    public int[]? Dimensions { get; init; }

    /// <summary>Prefix for <c>input_type: query</c>. Default "query: " (model card).</summary>
    [JsonPropertyName("query_prefix")]
    public string QueryPrefix { get; init; } = "query: ";

    /// <summary>Prefix for <c>input_type: passage</c>. Default "passage: " (model card).</summary>
    [JsonPropertyName("passage_prefix")]
    public string PassagePrefix { get; init; } = "passage: ";

    /// <summary>True for models that need <c>input_type</c> (asymmetric, like the target model). Default true.</summary>
    [JsonPropertyName("requires_input_type")]
    public bool RequiresInputType { get; init; } = true;

    /// <summary>Pooling: "mean" (the target model's) or "cls" or "last". Default "mean".</summary>
    [JsonPropertyName("pooling")]
    public string Pooling { get; init; } = "mean";

    /// <summary>A line for humans: what this model is (shown by /v1/models and the AppHost).</summary>
    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>Reads <c>nvembed.json</c> from <paramref name="modelDir"/>, or the defaults when it is absent.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not valid.</exception>
    public static ModelServingSettings Load(string modelDir)
    {
        var path = Path.Combine(modelDir, FileName);
        ModelServingSettings settings;
        if (!File.Exists(path))
        {
            settings = new ModelServingSettings();
        }
        else
        {
            try
            {
                settings = JsonSerializer.Deserialize(File.ReadAllBytes(path), ModelRepositoryJsonContext.Default.ModelServingSettings)
                    ?? throw new InvalidDataException($"{path}: the file holds null.");
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}: not valid JSON for serving settings: {ex.Message}", ex);
            }
        }

        if (settings.MaxTokens <= 0)
        {
            throw new InvalidDataException($"{path}: max_tokens must be positive, not {settings.MaxTokens}.");
        }

        return settings with
        {
            ServedModelName = string.IsNullOrWhiteSpace(settings.ServedModelName)
                ? new DirectoryInfo(Path.GetFullPath(modelDir)).Name
                : settings.ServedModelName,
        };
    }

    /// <summary>Writes this settings object to <c>nvembed.json</c> in <paramref name="modelDir"/>.</summary>
    public void Save(string modelDir) =>
        File.WriteAllBytes(
            Path.Combine(modelDir, FileName),
            JsonSerializer.SerializeToUtf8Bytes(this, ModelRepositoryJsonContext.Default.ModelServingSettings));
}

[JsonSourceGenerationOptions(WriteIndented = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ModelServingSettings))]
internal sealed partial class ModelRepositoryJsonContext : JsonSerializerContext;
