using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>GET /v1/metadata; clients read <c>modelInfo[0].shortName.split(":")[0]</c> and <c>version</c>.</summary>
public sealed class MetadataResponse
{
    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("modelInfo")]
    public required IReadOnlyList<MetadataModelInfo> ModelInfo { get; init; }

    [JsonPropertyName("assetInfo")]
    public IReadOnlyList<string> AssetInfo { get; init; } = [];

    [JsonPropertyName("licenseInfo")]
    public required LicenseResponse LicenseInfo { get; init; }

    [JsonPropertyName("repository_override")]
    public string RepositoryOverride { get; init; } = "";

    [JsonPropertyName("selectedModelProfileId")]
    public required string SelectedModelProfileId { get; init; }
}
