using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>One entry of <see cref="MetadataResponse.ModelInfo"/>.</summary>
public sealed class MetadataModelInfo
{
    /// <summary><c>"&lt;id&gt;:&lt;version&gt;"</c>.</summary>
    [JsonPropertyName("shortName")]
    public required string ShortName { get; init; }

    [JsonPropertyName("modelUrl")]
    public required string ModelUrl { get; init; }
}
