using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>NIM's body for semantic errors: <c>{"error": "..."}</c>.</summary>
public sealed class NimErrorBody
{
    [JsonPropertyName("error")]
    public required string Error { get; init; }
}
