using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Embedding;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Models;
using NvEmbed.Api.Options;
using NvEmbed.Api.Requests;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.ModelRepository;

namespace NvEmbed.Api.Endpoints;

/// <summary>
/// Hugging Face text-embeddings-inference's routes for TEI users: /embed, /tokenize, /decode, /info, /health, with TEI's
/// error bodies and status codes (see <see cref="TeiErrors"/>). TEI's /metrics is ServiceDefaults' (MapDefaultEndpoints).
/// </summary>
public static class TeiApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapTeiApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/embed", EmbedAsync).WithMetadata(ErrorSurface.Tei);
        app.MapPost("/tokenize", TokenizeAsync).WithMetadata(ErrorSurface.Tei);
        app.MapPost("/decode", DecodeAsync).WithMetadata(ErrorSurface.Tei);
        app.MapGet("/info", InfoAsync).WithMetadata(ErrorSurface.Tei);
        app.MapGet("/health", HealthAsync).WithMetadata(ErrorSurface.Tei);
        return app;
    }

    private static async Task EmbedAsync(
        HttpContext context, EmbeddingService embeddings, BackendState backends, ModelServingSettings settings, IOptionsMonitor<ApiOptions> options)
    {
        var started = Stopwatch.GetTimestamp();
        var limits = options.CurrentValue;
        var request = await JsonRequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, TeiEmbedRequest.Parse, context.RequestAborted);

        EmbeddingRules.CheckInputs(request.Inputs, limits.MaxBatchSize, "inputs");
        var model = await backends.GetModelAsync(context.RequestAborted);
        var dimensions = EmbeddingRules.ResolveDimensions(request.Dimensions, model, null);
        var command = new EmbedCommand(request.Inputs, EmbeddingRules.Prefix(request.PromptName, settings), request.Truncation, dimensions, request.Normalize);
        var result = await embeddings.EmbedAsync(command, model, context.RequestAborted);
        var vectors = new EmbeddingVector[result.Vectors.Count];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = new EmbeddingVector(result.Vectors[i], VectorValueKind.Float32, Base64: false);
        }

        HttpWriter.AddTimingHeaders(context, result, Stopwatch.GetElapsedTime(started));
        await HttpWriter.WriteJsonAsync<IReadOnlyList<EmbeddingVector>>(context, vectors, ApiJsonContext.Default.IReadOnlyListEmbeddingVector);
    }

    private static async Task TokenizeAsync(
        HttpContext context, ITokenizerClient tokenizer, BackendState backends, ModelServingSettings settings, IOptionsMonitor<ApiOptions> options)
    {
        var limits = options.CurrentValue;
        var request = await JsonRequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, TeiTokenizeRequest.Parse, context.RequestAborted);

        EmbeddingRules.CheckInputs(request.Inputs, limits.MaxBatchSize, "inputs");
        var model = await backends.GetModelAsync(context.RequestAborted);
        var prefix = EmbeddingRules.Prefix(request.PromptName, settings);
        var texts = request.Inputs.Select(text => prefix + text).ToArray();
        var batch = await CallTokenizerAsync(
            () => tokenizer.EncodeAsync(texts, TruncationMode.None, limits.MaxSequenceLength, request.AddSpecialTokens, returnOffsets: true, limits.RequestDeadline(), context.RequestAborted), backends);
        if (batch.Errors.Count > 0)
        {
            var error = batch.Errors[0];
            throw error.Kind == TokenizeErrorKind.TooLong
                ? new ApiException(ApiErrorKind.TooLong, $"Input length {error.TokenCount} exceeds maximum allowed token size {error.MaxTokens}")
                : new ApiException(ApiErrorKind.Validation, $"Input {error.Index} cannot be tokenized: {error.Message}");
        }

        if (batch.Count != texts.Length || batch.Offsets.Length != batch.InputIds.Length * 2)
        {
            throw new ApiException(ApiErrorKind.Backend, "The tokenizer returned sequences or offsets that do not match the request.");
        }

        var specials = new Dictionary<int, string>();
        foreach (var (content, id) in model.Tokenizer.SpecialTokens)
        {
            specials[id] = content;
        }

        var result = new IReadOnlyList<TeiToken>[texts.Length];
        for (var s = 0; s < texts.Length; s++)
        {
            result[s] = Tokens(texts[s], batch, s, specials);
        }

        await HttpWriter.WriteJsonAsync<IReadOnlyList<IReadOnlyList<TeiToken>>>(context, result, ApiJsonContext.Default.IReadOnlyListIReadOnlyListTeiToken);
    }

    private static List<TeiToken> Tokens(string text, TokenizedBatch batch, int sequence, Dictionary<int, string> specials)
    {
        // TEI reports UTF-8 byte offsets (it slices the Rust string); the tokenizer service gives UTF-16 spans.
        var utf8Offsets = new int[text.Length + 1];
        for (var i = 0; i < text.Length; i++)
        {
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 4
                : char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]) ? 0
                : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            utf8Offsets[i + 1] = utf8Offsets[i] + width;
        }

        var tokens = new List<TeiToken>(batch.CuSeqLengths[sequence + 1] - batch.CuSeqLengths[sequence]);
        for (var t = batch.CuSeqLengths[sequence]; t < batch.CuSeqLengths[sequence + 1]; t++)
        {
            var id = batch.InputIds[t];
            if (specials.TryGetValue(id, out var content))
            {
                tokens.Add(new TeiToken { Id = id, Text = content, Special = true, Start = null, Stop = null });
                continue;
            }

            var start = Math.Clamp(batch.Offsets[2 * t], 0, text.Length);
            var stop = Math.Clamp(batch.Offsets[(2 * t) + 1], start, text.Length);
            tokens.Add(new TeiToken { Id = id, Text = text[start..stop], Special = false, Start = utf8Offsets[start], Stop = utf8Offsets[stop] });
        }

        return tokens;
    }

    private static async Task DecodeAsync(HttpContext context, ITokenizerClient tokenizer, BackendState backends, IOptionsMonitor<ApiOptions> options)
    {
        var limits = options.CurrentValue;
        var request = await JsonRequestBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, TeiDecodeRequest.Parse, context.RequestAborted);

        if (request.Ids.Length == 0)
        {
            throw new ApiException(ApiErrorKind.Empty, "'ids' must hold at least one list of ids; it is empty.");
        }

        if (request.Ids.Length > limits.MaxBatchSize)
        {
            throw new ApiException(ApiErrorKind.Validation, $"Batch size {request.Ids.Length} exceeds the maximum allowed batch size {limits.MaxBatchSize}.");
        }

        var model = await backends.GetModelAsync(context.RequestAborted);
        foreach (var ids in request.Ids)
        {
            foreach (var id in ids)
            {
                if (id >= model.Tokenizer.VocabSize && model.Tokenizer.VocabSize > 0)
                {
                    throw new ApiException(ApiErrorKind.Validation, $"Token id {id} is outside the vocabulary (size {model.Tokenizer.VocabSize}).");
                }
            }
        }

        var texts = await Task.WhenAll(request.Ids.Select(ids =>
            CallTokenizerAsync(() => tokenizer.DecodeAsync(ids, request.SkipSpecialTokens, limits.RequestDeadline(), context.RequestAborted), backends)));
        if (request.Batched)
        {
            await HttpWriter.WriteJsonAsync<IReadOnlyList<string>>(context, texts, ApiJsonContext.Default.IReadOnlyListString);
        }
        else
        {
            await HttpWriter.WriteJsonAsync(context, texts[0], ApiJsonContext.Default.String);
        }
    }

    private static async Task InfoAsync(HttpContext context, BackendState backends, IOptionsMonitor<ApiOptions> options)
    {
        var model = await backends.GetModelAsync(context.RequestAborted);
        var limits = options.CurrentValue;
        var info = new TeiInfo
        {
            ModelId = model.PrimaryName,
            ModelSha = model.Fingerprint,
            ModelDtype = model.Inference.Precision,
            ModelType = new TeiModelType { Embedding = new TeiEmbeddingModel { Pooling = "mean" } },
            MaxConcurrentRequests = limits.MaxQueueSize,
            MaxInputLength = model.MaxTokens,
            MaxBatchTokens = model.MaxBatchTokens > 0 ? model.MaxBatchTokens : EmbeddingService.DefaultMaxTokensPerWorkerCall,
            MaxClientBatchSize = limits.MaxBatchSize,
            Version = NimApi.ProductVersion,
        };
        await HttpWriter.WriteJsonAsync(context, info, ApiJsonContext.Default.TeiInfo);
    }

    private static async Task HealthAsync(HttpContext context, BackendState backends)
    {
        if (!await backends.IsReadyAsync(context.RequestAborted))
        {
            throw new ApiException(ApiErrorKind.Unavailable, "The tokenizer or the inference worker is not ready, or they serve different models.");
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static async Task<T> CallTokenizerAsync<T>(Func<Task<T>> call, BackendState backends)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
        {
            var error = GrpcErrors.Translate(ex, "tokenizer");
            if (error.Kind == ApiErrorKind.Unavailable)
            {
                backends.Invalidate();
            }

            throw error;
        }
    }
}
