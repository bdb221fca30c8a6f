using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>The NIM/OpenAI answer to POST /v1/embeddings.</summary>
public sealed class EmbeddingListResponse
{
    [JsonPropertyName("object")]
    public string Object => "list";

    [JsonPropertyName("data")]
    public required IReadOnlyList<EmbeddingItem> Data { get; init; }

    /// <summary>The model id as the request named it.</summary>
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("usage")]
    public required EmbeddingUsage Usage { get; init; }
}
