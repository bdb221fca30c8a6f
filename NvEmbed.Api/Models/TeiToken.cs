using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>One token of TEI's POST /tokenize answer; <c>start</c>/<c>stop</c> are UTF-8 byte offsets into the input, as TEI's.</summary>
public sealed class TeiToken
{
    [JsonPropertyName("id")]
    public required int Id { get; init; }

    [JsonPropertyName("text")]
    public required string Text { get; init; }

    [JsonPropertyName("special")]
    public required bool Special { get; init; }

    [JsonPropertyName("start")]
    public required int? Start { get; init; }

    [JsonPropertyName("stop")]
    public required int? Stop { get; init; }
}
