using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>One vector of an <see cref="EmbeddingListResponse"/>.</summary>
public sealed class EmbeddingItem
{
    [JsonPropertyName("object")]
    public string Object => "embedding";

    [JsonPropertyName("index")]
    public required int Index { get; init; }

    [JsonPropertyName("embedding")]
    public required EmbeddingVector Embedding { get; init; }
}
