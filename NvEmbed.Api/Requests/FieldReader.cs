using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Models;

namespace NvEmbed.Api.Requests;

/// <summary>Reads typed fields from a JSON body, failing with the validation errors NIM's (pydantic's) validator gives.</summary>
public static class FieldReader
{
    /// <summary>Values larger than this (raw JSON bytes) are not echoed back in an error.</summary>
    public const int MaxEchoBytes = 1024;

    /// <summary>The root, which must be an object.</summary>
    public static JsonElement RequireObject(JsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Error("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", root, Loc());
        }

        return root;
    }

    /// <summary>A string value.</summary>
    public static string String(JsonElement value, JsonArray loc)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Error("string_type", "Input should be a valid string", value, loc);
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Error("string_unicode", "Input should be a valid string, unable to parse raw data as a unicode string", null, loc);
        }
    }

    /// <summary>A string or a list of strings, as a list.</summary>
    public static string[] StringOrList(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return [String(value, Loc(field))];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Error("string_type", "Input should be a valid string or a list of strings", value, Loc(field));
        }

        var result = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[i] = String(item, Loc(field, i));
            i++;
        }

        return result;
    }

    /// <summary>One of <paramref name="allowed"/> (compared as <paramref name="comparison"/>); returns the allowed spelling.</summary>
    public static string Literal(JsonElement value, JsonArray loc, StringComparison comparison, params string[] allowed)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            string text;
            try
            {
                text = value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                text = "";
            }

            foreach (var option in allowed)
            {
                if (string.Equals(text, option, comparison))
                {
                    return option;
                }
            }
        }

        throw Error("literal_error", LiteralMessage(allowed), value, loc);
    }

    /// <summary>A boolean.</summary>
    public static bool Boolean(JsonElement value, JsonArray loc) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error("bool_type", "Input should be a valid boolean", value, loc),
    };

    /// <summary>A 32-bit integer (an integral number such as 512 or 512.0).</summary>
    public static int Integer(JsonElement value, JsonArray loc)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetInt32(out var number))
            {
                return number;
            }

            if (value.TryGetDouble(out var real) && double.IsFinite(real) && Math.Floor(real) == real && real is >= int.MinValue and <= int.MaxValue)
            {
                return (int)real;
            }

            throw Error("int_from_float", "Input should be a valid integer, got a number with a fractional part or out of range", value, loc);
        }

        throw Error("int_type", "Input should be a valid integer", value, loc);
    }

    /// <summary>The error for a field the schema does not have.</summary>
    public static ApiException Extra(JsonProperty property)
    {
        string name;
        try
        {
            name = property.Name;
        }
        catch (InvalidOperationException)
        {
            name = "\uFFFD";
        }

        return Error("extra_forbidden", "Extra inputs are not permitted", property.Value, Loc(name));
    }

    /// <summary>The error for a required field that is absent.</summary>
    public static ApiException Missing(JsonElement body, string field) => Error("missing", "Field required", body, Loc(field));

    /// <summary>A validation error with NIM's detail.</summary>
    public static ApiException Error(string type, string message, JsonElement? value, JsonArray loc) => ApiException.Invalid(new ValidationDetail
    {
        Type = type,
        Loc = loc,
        Msg = message,
        Input = value is { } v && JsonMarshal.GetRawUtf8Value(v).Length <= MaxEchoBytes ? v.Clone() : null,
    });

    /// <summary><c>["body", ...path]</c>.</summary>
    public static JsonArray Loc(params object[] path)
    {
        var loc = new JsonArray("body");
        foreach (var segment in path)
        {
            loc.Add(segment switch
            {
                int index => JsonValue.Create(index),
                string name => JsonValue.Create(name),
                _ => throw new InvalidOperationException($"A location segment is a name or an index, not {segment.GetType()}. This is a bug."),
            });
        }

        return loc;
    }

    private static string LiteralMessage(string[] allowed) => allowed.Length switch
    {
        1 => $"Input should be '{allowed[0]}'",
        _ => $"Input should be {string.Join(", ", allowed[..^1].Select(static a => $"'{a}'"))} or '{allowed[^1]}'",
    };
}
