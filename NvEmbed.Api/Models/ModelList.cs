using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>GET /v1/models.</summary>
public sealed class ModelList
{
    [JsonPropertyName("object")]
    public string Object => "list";

    [JsonPropertyName("data")]
    public required IReadOnlyList<ModelCard> Data { get; init; }
}
