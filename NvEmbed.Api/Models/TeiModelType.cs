using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>TEI's <c>model_type</c>: <c>{"embedding": {"pooling": "mean"}}</c>.</summary>
public sealed class TeiModelType
{
    [JsonPropertyName("embedding")]
    public required TeiEmbeddingModel Embedding { get; init; }
}
