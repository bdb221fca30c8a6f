using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>TEI's error body: <c>{"error": "...", "error_type": "..."}</c>.</summary>
public sealed class TeiErrorBody
{
    [JsonPropertyName("error")]
    public required string Error { get; init; }

    [JsonPropertyName("error_type")]
    public required string ErrorType { get; init; }
}
