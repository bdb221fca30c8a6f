using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>One entry of <see cref="ModelList"/> (the fields NIM answers with, observed).</summary>
public sealed class ModelCard
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("created")]
    public long Created => 0;

    [JsonPropertyName("object")]
    public string Object => "model";

    [JsonPropertyName("owned_by")]
    public string OwnedBy => "organization-owner";

    /// <summary>The model the id serves (langchain reads <c>root</c> when present).</summary>
    [JsonPropertyName("root")]
    public required string Root { get; init; }
}
