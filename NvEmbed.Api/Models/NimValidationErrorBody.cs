using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>NIM's body for schema errors (observed on a self-hosted NIM).</summary>
public sealed class NimValidationErrorBody
{
    [JsonPropertyName("object")]
    public string Object => "error";

    [JsonPropertyName("message")]
    public required string Message { get; init; }

    [JsonPropertyName("detail")]
    public required ValidationDetail Detail { get; init; }

    [JsonPropertyName("type")]
    public string Type => "request_validation_error";
}
