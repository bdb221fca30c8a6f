using System.Text.Json;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Requests;
using NvEmbed.Contracts.ModelRepository;

namespace NvEmbed.Api.Embedding;

/// <summary>The contract's rules that need more than the body's schema: batch size, empty inputs, model names, dimensions, prefixes.</summary>
public static class EmbeddingRules
{
    /// <summary>Suffixes on a model name that mean the same as <c>input_type</c> (NIM 1.x).</summary>
    private static readonly (string Suffix, string InputType)[] s_suffixes = [("-query", "query"), ("-passage", "passage")];

    /// <summary>Rejects an empty list, too many inputs and empty strings.</summary>
    public static void CheckInputs(IReadOnlyList<string> inputs, int maxBatchSize, string field)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            throw new ApiException(ApiErrorKind.Empty, $"'{field}' must hold at least one string; the list is empty.");
        }

        if (inputs.Count > maxBatchSize)
        {
            throw new ApiException(ApiErrorKind.Validation,
                $"Batch size {inputs.Count} exceeds the maximum allowed batch size {maxBatchSize}; send at most {maxBatchSize} inputs per request.");
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length == 0)
            {
                throw new ApiException(ApiErrorKind.Empty, $"Input at index {i} is an empty string; every input must hold text.");
            }
        }
    }

    /// <summary>
    /// Checks <paramref name="requested"/> against the served names (in <c>/</c> or <c>_</c> form, any case) and returns
    /// the <c>input_type</c> its suffix implies (null when none). When the names denote one model
    /// (<see cref="ModelSnapshot.SingleModel"/>) any model is served; otherwise an unknown one is NotFound.
    /// </summary>
    public static string? ResolveModel(string? requested, ModelSnapshot model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (requested is null || model.Find(requested) is not null)
        {
            return null;
        }

        foreach (var (suffix, inputType) in s_suffixes)
        {
            if (requested.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                (model.SingleModel || model.Find(requested[..^suffix.Length]) is not null))
            {
                return inputType;
            }
        }

        if (model.SingleModel)
        {
            return null;
        }

        throw new ApiException(ApiErrorKind.NotFound,
            $"The model '{requested}' does not exist; this server serves {string.Join(", ", model.ServedNames.Select(static n => $"'{n}'"))}.");
    }

    /// <summary>The Matryoshka size to ask the worker for: 0 for the full size, else one the model offers.</summary>
    public static int ResolveDimensions(int? requested, ModelSnapshot model, JsonElement? echo)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (requested is null)
        {
            return 0;
        }

        foreach (var offered in model.Dimensions)
        {
            if (offered == requested)
            {
                return offered == model.FullDimensions ? 0 : offered;
            }
        }

        throw FieldReader.Error("value_error",
            $"Value error, dimensions must be one of {string.Join(", ", model.Dimensions)} for this model, not {requested}",
            echo, FieldReader.Loc("dimensions"));
    }

    /// <summary>The prefix for <paramref name="inputType"/> ("query", "passage" or null).</summary>
    public static string Prefix(string? inputType, ModelServingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return inputType switch
        {
            "query" => settings.QueryPrefix,
            "passage" => settings.PassagePrefix,
            _ => "",
        };
    }
}
