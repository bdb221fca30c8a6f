using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>The body of /v1/health/live and /v1/health/ready.</summary>
public sealed class HealthResponse
{
    [JsonPropertyName("object")]
    public string Object => "health-response";

    [JsonPropertyName("message")]
    public required string Message { get; init; }
}
