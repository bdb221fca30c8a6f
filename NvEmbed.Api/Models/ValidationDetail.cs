using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>One schema error in the shape of NIM's (pydantic's) validator: type, loc, msg, input.</summary>
public sealed class ValidationDetail
{
    /// <summary>The rule broken, e.g. <c>literal_error</c>, <c>extra_forbidden</c>, <c>missing</c>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>Where: <c>["body", "field", index...]</c>.</summary>
    [JsonPropertyName("loc")]
    public required JsonArray Loc { get; init; }

    /// <summary>What is wrong, for people.</summary>
    [JsonPropertyName("msg")]
    public required string Msg { get; init; }

    /// <summary>The offending value (null when it is large or absent).</summary>
    [JsonPropertyName("input")]
    public JsonElement? Input { get; init; }

    /// <summary>Extra context, e.g. the JSON parser's message.</summary>
    [JsonPropertyName("ctx")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Ctx { get; init; }
}
