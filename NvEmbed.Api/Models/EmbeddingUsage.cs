using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>Tokens fed to the model for a request: prefixes and special tokens included.</summary>
public sealed class EmbeddingUsage
{
    [JsonPropertyName("prompt_tokens")]
    public required int PromptTokens { get; init; }

    [JsonPropertyName("total_tokens")]
    public required int TotalTokens { get; init; }
}
