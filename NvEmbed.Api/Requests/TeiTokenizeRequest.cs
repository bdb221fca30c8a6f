using System.Text.Json;

namespace NvEmbed.Api.Requests;

/// <summary>A TEI POST /tokenize body.</summary>
/// <param name="Inputs">The texts.</param>
/// <param name="AddSpecialTokens">Add the post-processor's special tokens (TEI's default true).</param>
/// <param name="PromptName">"query" or "passage" prepends the model's prefix; null for none.</param>
public sealed record TeiTokenizeRequest(string[] Inputs, bool AddSpecialTokens, string? PromptName)
{
    /// <summary>Parses and checks <paramref name="document"/>.</summary>
    public static TeiTokenizeRequest Parse(JsonDocument document)
    {
        var root = FieldReader.RequireObject(document);
        string[]? inputs = null;
        var addSpecial = true;
        string? promptName = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("inputs"))
            {
                inputs = FieldReader.StringOrList(value, "inputs");
            }
            else if (property.NameEquals("add_special_tokens"))
            {
                addSpecial = value.ValueKind == JsonValueKind.Null || FieldReader.Boolean(value, FieldReader.Loc("add_special_tokens"));
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

        return inputs is null ? throw FieldReader.Missing(root, "inputs") : new TeiTokenizeRequest(inputs, addSpecial, promptName);
    }
}
