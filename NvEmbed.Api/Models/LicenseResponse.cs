using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>GET /v1/license (NIM 2.x shape).</summary>
public sealed class LicenseResponse
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("path")]
    public required string Path { get; init; }

    /// <summary>Hex SHA-256 of <see cref="Content"/>'s UTF-8 bytes.</summary>
    [JsonPropertyName("sha")]
    public required string Sha { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("url")]
    public required string Url { get; init; }

    [JsonPropertyName("type")]
    public string Type => "file";

    [JsonPropertyName("content")]
    public required string Content { get; init; }
}
