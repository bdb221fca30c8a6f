using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>TEI's description of an embedding model.</summary>
public sealed class TeiEmbeddingModel
{
    [JsonPropertyName("pooling")]
    public required string Pooling { get; init; }
}
