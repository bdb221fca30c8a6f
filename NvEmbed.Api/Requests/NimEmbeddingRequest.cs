using System.Text.Json;
using NvEmbed.Api.Embedding;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Requests;

/// <summary>A POST /v1/embeddings body, checked against NIM's schema (unknown fields are rejected, as NIM's validator does).</summary>
/// <param name="Input">The inputs, in order.</param>
/// <param name="Model">The requested model id, as sent; null when absent.</param>
/// <param name="InputType">"query", "passage" or null.</param>
/// <param name="Base64">encoding_format base64.</param>
/// <param name="Truncation">truncate.</param>
/// <param name="Dimensions">dimensions; null when absent or null.</param>
/// <param name="DimensionsElement">The raw dimensions value, to echo in an error.</param>
/// <param name="EmbeddingType">embedding_type.</param>
public sealed record NimEmbeddingRequest(
    string[] Input,
    string? Model,
    string? InputType,
    bool Base64,
    TruncationMode Truncation,
    int? Dimensions,
    JsonElement? DimensionsElement,
    EmbeddingType EmbeddingType)
{
    /// <summary>Parses and checks <paramref name="document"/>.</summary>
    /// <exception cref="Errors.ApiException">Validation, with NIM's detail.</exception>
    public static NimEmbeddingRequest Parse(JsonDocument document)
    {
        var root = FieldReader.RequireObject(document);
        string[]? input = null;
        string? model = null, inputType = null;
        var base64 = false;
        var truncation = TruncationMode.None;
        int? dimensions = null;
        JsonElement? dimensionsElement = null;
        var embeddingType = EmbeddingType.Float;
        JsonElement? modality = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("input"))
            {
                input = FieldReader.StringOrList(value, "input");
            }
            else if (property.NameEquals("model"))
            {
                model = value.ValueKind == JsonValueKind.Null ? null : FieldReader.String(value, FieldReader.Loc("model"));
            }
            else if (property.NameEquals("input_type"))
            {
                inputType = value.ValueKind == JsonValueKind.Null ? null
                    : FieldReader.Literal(value, FieldReader.Loc("input_type"), StringComparison.OrdinalIgnoreCase, "query", "passage");
            }
            else if (property.NameEquals("encoding_format"))
            {
                // NOTE: an explicit null is rejected (observed on NIM): "Input should be 'float' or 'base64'".
                base64 = FieldReader.Literal(value, FieldReader.Loc("encoding_format"), StringComparison.Ordinal, "float", "base64") == "base64";
            }
            else if (property.NameEquals("truncate"))
            {
                // NOTE: nv-ingest and langchain send upper case; NIM documents upper case; lower case is accepted too.
                truncation = FieldReader.Literal(value, FieldReader.Loc("truncate"), StringComparison.OrdinalIgnoreCase, "NONE", "START", "END") switch
                {
                    "START" => TruncationMode.Start,
                    "END" => TruncationMode.End,
                    _ => TruncationMode.None,
                };
            }
            else if (property.NameEquals("dimensions"))
            {
                // NOTE: old nv-ingest sends "dimensions": null; it means the full size.
                dimensions = value.ValueKind == JsonValueKind.Null ? null : FieldReader.Integer(value, FieldReader.Loc("dimensions"));
                dimensionsElement = value.Clone();
            }
            else if (property.NameEquals("embedding_type"))
            {
                embeddingType = FieldReader.Literal(value, FieldReader.Loc("embedding_type"), StringComparison.Ordinal, "float", "int8", "uint8", "binary", "ubinary") switch
                {
                    "int8" => EmbeddingType.Int8,
                    "uint8" => EmbeddingType.UInt8,
                    "binary" => EmbeddingType.Binary,
                    "ubinary" => EmbeddingType.UBinary,
                    _ => EmbeddingType.Float,
                };
            }
            else if (property.NameEquals("modality"))
            {
                modality = value;
            }
            else if (property.NameEquals("user"))
            {
                if (value.ValueKind != JsonValueKind.Null)
                {
                    FieldReader.String(value, FieldReader.Loc("user"));
                }
            }
            else
            {
                throw FieldReader.Extra(property);
            }
        }

        if (input is null)
        {
            throw FieldReader.Missing(root, "input");
        }

        if (modality is { } m)
        {
            CheckModality(m, input.Length);
        }

        return new NimEmbeddingRequest(input, model, inputType?.ToLowerInvariant(), base64, truncation, dimensions, dimensionsElement, embeddingType);
    }

    private static void CheckModality(JsonElement modality, int inputs)
    {
        if (modality.ValueKind == JsonValueKind.Array)
        {
            var count = modality.GetArrayLength();
            if (count != 1 && count != inputs)
            {
                throw FieldReader.Error("value_error", $"Value error, modality must hold one entry or one per input ({inputs})", modality, FieldReader.Loc("modality"));
            }

            var i = 0;
            foreach (var item in modality.EnumerateArray())
            {
                FieldReader.Literal(item, FieldReader.Loc("modality", i++), StringComparison.OrdinalIgnoreCase, "text");
            }

            return;
        }

        FieldReader.Literal(modality, FieldReader.Loc("modality"), StringComparison.OrdinalIgnoreCase, "text");
    }
}
