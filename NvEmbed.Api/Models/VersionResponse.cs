using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>GET /v1/version.</summary>
public sealed class VersionResponse
{
    [JsonPropertyName("release")]
    public required string Release { get; init; }

    [JsonPropertyName("api")]
    public required string Api { get; init; }
}
