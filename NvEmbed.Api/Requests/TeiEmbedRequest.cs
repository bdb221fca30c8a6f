using System.Text.Json;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Requests;

/// <summary>A TEI POST /embed body.</summary>
/// <param name="Inputs">The inputs, in order.</param>
/// <param name="Truncation">None unless <c>truncate</c> is true; then by <c>truncation_direction</c> (Right = drop from the end, TEI's default).</param>
/// <param name="Normalize">L2-normalise (TEI's default true).</param>
/// <param name="Dimensions">Matryoshka size; null for the full size.</param>
/// <param name="PromptName">"query" or "passage" selects the model's prefix; null for none.</param>
public sealed record TeiEmbedRequest(string[] Inputs, TruncationMode Truncation, bool Normalize, int? Dimensions, string? PromptName)
{
    /// <summary>Parses and checks <paramref name="document"/>.</summary>
    public static TeiEmbedRequest Parse(JsonDocument document)
    {
        var root = FieldReader.RequireObject(document);
        string[]? inputs = null;
        bool truncate = false, normalize = true, left = false;
        int? dimensions = null;
        string? promptName = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("inputs"))
            {
                inputs = FieldReader.StringOrList(value, "inputs");
            }
            else if (property.NameEquals("truncate"))
            {
                truncate = value.ValueKind != JsonValueKind.Null && FieldReader.Boolean(value, FieldReader.Loc("truncate"));
            }
            else if (property.NameEquals("truncation_direction"))
            {
                left = value.ValueKind != JsonValueKind.Null &&
                    FieldReader.Literal(value, FieldReader.Loc("truncation_direction"), StringComparison.OrdinalIgnoreCase, "Left", "Right") == "Left";
            }
            else if (property.NameEquals("normalize"))
            {
                normalize = value.ValueKind == JsonValueKind.Null || FieldReader.Boolean(value, FieldReader.Loc("normalize"));
            }
            else if (property.NameEquals("dimensions"))
            {
                dimensions = value.ValueKind == JsonValueKind.Null ? null : FieldReader.Integer(value, FieldReader.Loc("dimensions"));
            }
            else if (property.NameEquals("prompt_name"))
            {
                promptName = value.ValueKind == JsonValueKind.Null ? null
                    : FieldReader.Literal(value, FieldReader.Loc("prompt_name"), StringComparison.OrdinalIgnoreCase, "query", "passage").ToLowerInvariant();
            }
            else
            {
                throw FieldReader.Extra(property);
            }
        }

        if (inputs is null)
        {
            throw FieldReader.Missing(root, "inputs");
        }

        var truncation = !truncate ? TruncationMode.None : left ? TruncationMode.Start : TruncationMode.End;
        return new TeiEmbedRequest(inputs, truncation, normalize, dimensions, promptName);
    }
}
