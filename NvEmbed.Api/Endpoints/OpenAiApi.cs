using System.Diagnostics;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Embedding;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Models;
using NvEmbed.Api.Options;
using NvEmbed.Api.Requests;
using NvEmbed.Contracts.ModelRepository;

namespace NvEmbed.Api.Endpoints;

/// <summary>
/// The OpenAI-compatible routes as NIM serves them: POST /v1/embeddings with NIM's extra fields (input_type, truncate,
/// embedding_type, modality) and NIM's errors, and GET /v1/models.
/// </summary>
public static class OpenAiApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/v1/embeddings", EmbedAsync).WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v1/models", ListModelsAsync).WithMetadata(ErrorSurface.Nim);
        return app;
    }

    private static async Task EmbedAsync(
        HttpContext context, EmbeddingService embeddings, BackendState backends, ModelServingSettings settings, IOptionsMonitor<ApiOptions> options)
    {
        var started = Stopwatch.GetTimestamp();
        var limits = options.CurrentValue;
        var request = await JsonRequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, NimEmbeddingRequest.Parse, context.RequestAborted);

        EmbeddingRules.CheckInputs(request.Input, limits.MaxBatchSize, "input");
        var model = await backends.GetModelAsync(context.RequestAborted);
        var inputType = request.InputType ?? EmbeddingRules.ResolveModel(request.Model, model);
        if (request.InputType is not null)
        {
            EmbeddingRules.ResolveModel(request.Model, model);
        }

        if (inputType is null && settings.RequiresInputType)
        {
            // NOTE: NIM's own text (observed).
            throw new ApiException(ApiErrorKind.Validation, "'input_type' parameter is required for asymmetric models");
        }

        var dimensions = EmbeddingRules.ResolveDimensions(request.Dimensions, model, request.DimensionsElement);
        var command = new EmbedCommand(request.Input, EmbeddingRules.Prefix(inputType, settings), request.Truncation, dimensions, Normalize: true);
        var result = await embeddings.EmbedAsync(command, model, context.RequestAborted);

        var data = new EmbeddingItem[result.Vectors.Count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = new EmbeddingItem { Index = i, Embedding = VectorEncoder.Encode(result.Vectors[i], request.EmbeddingType, request.Base64) };
        }

        var response = new EmbeddingListResponse
        {
            Data = data,
            Model = request.Model ?? model.PrimaryName,
            Usage = new EmbeddingUsage { PromptTokens = result.PromptTokens, TotalTokens = result.PromptTokens },
        };
        HttpWriter.AddTimingHeaders(context, result, Stopwatch.GetElapsedTime(started));
        await HttpWriter.WriteJsonAsync(context, response, ApiJsonContext.Default.EmbeddingListResponse);
    }

    private static async Task ListModelsAsync(HttpContext context, BackendState backends)
    {
        var model = await backends.GetModelAsync(context.RequestAborted);
        var cards = new ModelCard[model.ServedNames.Count];
        for (var i = 0; i < cards.Length; i++)
        {
            cards[i] = new ModelCard
            {
                Id = model.ServedNames[i],
                Root = model.ServedNames[i],
                Description = string.IsNullOrEmpty(model.Inference.Description) ? null : model.Inference.Description,
            };
        }

        await HttpWriter.WriteJsonAsync(context, new ModelList { Data = cards }, ApiJsonContext.Default.ModelList);
    }
}
