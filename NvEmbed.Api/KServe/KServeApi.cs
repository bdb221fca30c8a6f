using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Embedding;
using NvEmbed.Api.Errors;
using NvEmbed.Api.KServe.V2;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.ModelRepository;

namespace NvEmbed.Api.KServe;

/// <summary>
/// The NIM's gRPC surface: the KServe v2 (Triton) protocol that tritonclient and nv-ingest speak, served on the
/// <c>grpc</c> endpoint through the project's transport. One model, named after the served model id in Triton's form
/// (<see cref="TritonName"/>); input <c>text</c> BYTES [n,1]; parameters <c>input_type</c>, <c>truncate</c>,
/// <c>dimensions</c>; outputs <c>embeddings</c> FP32 [n,dim] and <c>token_count</c> INT32 [n] as raw little-endian buffers.
/// </summary>
public static class KServeApi
{
    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "inference.GRPCInferenceService";

    /// <summary>The input tensor holding the texts.</summary>
    public const string TextInput = "text";

    /// <summary>The optional input tensor naming each text's modality (only "text" is served).</summary>
    public const string ModalityInput = "modality";

    /// <summary>The FP32 [n,dim] output.</summary>
    public const string EmbeddingsOutput = "embeddings";

    /// <summary>The INT32 [n] output: tokens per input.</summary>
    public const string TokenCountOutput = "token_count";

    /// <summary>The platform reported by metadata and config.</summary>
    public const string Platform = "nvembed";

    /// <summary>Maps the six methods.</summary>
    public static IEndpointRouteBuilder MapKServeGrpc(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcUnary<ServerLiveRequest, ServerLiveResponse>(ServiceName, "ServerLive",
            static (_, _) => Task.FromResult(new ServerLiveResponse { Live = true }));
        app.MapGrpcUnary<ServerReadyRequest, ServerReadyResponse>(ServiceName, "ServerReady", async (_, context) =>
        {
            var backends = app.ServiceProvider.GetRequiredService<BackendState>();
            return new ServerReadyResponse { Ready = await backends.IsReadyAsync(context.CancellationToken) };
        });
        app.MapGrpcUnary<ModelReadyRequest, ModelReadyResponse>(ServiceName, "ModelReady", (request, context) =>
            GuardAsync(app, context, async (backends, _, _) =>
            {
                if (!await backends.IsReadyAsync(context.CancellationToken))
                {
                    return new ModelReadyResponse { Ready = false };
                }

                var model = await backends.GetModelAsync(context.CancellationToken);
                return new ModelReadyResponse { Ready = Matches(request.Name, model) };
            }));
        app.MapGrpcUnary<ModelMetadataRequest, ModelMetadataResponse>(ServiceName, "ModelMetadata", (request, context) =>
            GuardAsync(app, context, async (backends, _, options) =>
            {
                var model = await ResolveAsync(backends, request.Name, context.CancellationToken);
                return Metadata(TritonName(model.PrimaryName), options.CurrentValue.ModelVersion);
            }));
        app.MapGrpcUnary<ModelConfigRequest, ModelConfigResponse>(ServiceName, "ModelConfig", (request, context) =>
            GuardAsync(app, context, async (backends, _, options) =>
            {
                var model = await ResolveAsync(backends, request.Name, context.CancellationToken);
                return new ModelConfigResponse { Config = Config(TritonName(model.PrimaryName), options.CurrentValue.MaxBatchSize) };
            }));
        app.MapGrpcUnary<ModelInferRequest, ModelInferResponse>(ServiceName, "ModelInfer", (request, context) =>
            GuardAsync(app, context, (backends, services, options) => InferAsync(request, context, backends, services, options)));
        return app;
    }

    /// <summary>
    /// The Triton model name for a served model id: lower-cased, every character that is not an ASCII letter or digit
    /// replaced by '_' (<c>nvidia/llama-3.2-nv-embedqa-1b-v2</c> → <c>nvidia_llama_3_2_nv_embedqa_1b_v2</c>).
    /// </summary>
    public static string TritonName(string servedName)
    {
        ArgumentNullException.ThrowIfNull(servedName);
        var builder = new StringBuilder(servedName.Length);
        foreach (var c in servedName)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }

        return builder.ToString();
    }

    private static bool Matches(string requested, ModelSnapshot model)
    {
        foreach (var name in model.ServedNames)
        {
            if (string.Equals(requested, TritonName(name), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<ModelSnapshot> ResolveAsync(BackendState backends, string requested, CancellationToken cancellationToken)
    {
        var model = await backends.GetModelAsync(cancellationToken);
        if (!Matches(requested, model))
        {
            throw new ApiException(ApiErrorKind.NotFound,
                $"Request for unknown model: '{requested}' is not found; this server serves {string.Join(", ", model.ServedNames.Select(static n => $"'{TritonName(n)}'"))}.");
        }

        return model;
    }

    private static async Task<TResponse> GuardAsync<TResponse>(
        IEndpointRouteBuilder app, GrpcServerCallContext context, Func<BackendState, IServiceProvider, IOptionsMonitor<ApiOptions>, Task<TResponse>> handler)
    {
        var services = app.ServiceProvider;
        try
        {
            return await handler(services.GetRequiredService<BackendState>(), services, services.GetRequiredService<IOptionsMonitor<ApiOptions>>());
        }
        catch (ApiException ex)
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KServeApi).FullName!);
            if (ex.Kind is ApiErrorKind.Backend or ApiErrorKind.Unavailable or ApiErrorKind.Timeout or ApiErrorKind.Overloaded)
            {
                Log.BackendFailed(logger, context.Method, ex.Kind.ToString(), ex.Message);
            }
            else
            {
                Log.Rejected(logger, context.Method, ex.Kind.ToString(), ex.Message);
            }

            throw KServeErrors.Translate(ex);
        }
    }

    private static async Task<ModelInferResponse> InferAsync(
        ModelInferRequest request, GrpcServerCallContext context, BackendState backends, IServiceProvider services, IOptionsMonitor<ApiOptions> options)
    {
        var started = Stopwatch.GetTimestamp();
        var limits = options.CurrentValue;
        var texts = ReadTexts(request);
        EmbeddingRules.CheckInputs(texts, limits.MaxBatchSize, TextInput);
        var model = await ResolveAsync(backends, request.ModelName, context.CancellationToken);
        var settings = services.GetRequiredService<ModelServingSettings>();
        var inputType = StringParameter(request, "input_type", "query", "passage");
        if (inputType is null && settings.RequiresInputType)
        {
            // NOTE: NIM's own text (observed), the same as the HTTP surface's.
            throw new ApiException(ApiErrorKind.Validation, "'input_type' parameter is required for asymmetric models");
        }

        var truncation = StringParameter(request, "truncate", "NONE", "START", "END") switch
        {
            "START" => TruncationMode.Start,
            "END" => TruncationMode.End,
            _ => TruncationMode.None,
        };
        var dimensions = EmbeddingRules.ResolveDimensions(IntParameter(request, "dimensions"), model, echo: null);
        var command = new EmbedCommand(texts, EmbeddingRules.Prefix(inputType, settings), truncation, dimensions, Normalize: true);
        var result = await services.GetRequiredService<EmbeddingService>().EmbedAsync(command, model, context.CancellationToken);

        var response = new ModelInferResponse
        {
            ModelName = request.ModelName,
            ModelVersion = limits.ModelVersion,
            Id = request.Id,
        };
        var wanted = request.Outputs.Count == 0
            ? [EmbeddingsOutput, TokenCountOutput]
            : request.Outputs.Select(static o => o.Name).ToArray();
        foreach (var name in wanted)
        {
            var output = new ModelInferResponse.Types.InferOutputTensor { Name = name };
            switch (name)
            {
                case EmbeddingsOutput:
                    output.Datatype = "FP32";
                    output.Shape.Add([result.Vectors.Count, result.Dimensions]);
                    response.RawOutputContents.Add(TritonTensors.Concat(result.Vectors));
                    break;
                case TokenCountOutput:
                    output.Datatype = "INT32";
                    output.Shape.Add(result.InputTokens.Count);
                    response.RawOutputContents.Add(TritonTensors.Int32s(result.InputTokens));
                    break;
                default:
                    throw new ApiException(ApiErrorKind.Validation,
                        $"Unknown output '{name}' requested; this model has outputs '{EmbeddingsOutput}' and '{TokenCountOutput}'.");
            }

            response.Outputs.Add(output);
        }

        response.Parameters["inference_time_ms"] = new InferParameter { DoubleParam = Stopwatch.GetElapsedTime(started).TotalMilliseconds };
        return response;
    }

    private static string[] ReadTexts(ModelInferRequest request)
    {
        if (request.RawInputContents.Count > 0 && request.RawInputContents.Count != request.Inputs.Count)
        {
            throw new ApiException(ApiErrorKind.Validation,
                $"raw_input_contents holds {request.RawInputContents.Count} buffers for {request.Inputs.Count} inputs; send one per input or none.");
        }

        string[]? texts = null;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            var raw = request.RawInputContents.Count > 0 ? request.RawInputContents[i] : null;
            switch (input.Name)
            {
                case TextInput:
                    texts = TritonTensors.ReadStrings(input, raw);
                    break;
                case ModalityInput:
                    foreach (var modality in TritonTensors.ReadStrings(input, raw))
                    {
                        if (!string.Equals(modality, "text", StringComparison.OrdinalIgnoreCase))
                        {
                            throw new ApiException(ApiErrorKind.Validation, $"Modality '{modality}' is not supported; this model embeds 'text' only.");
                        }
                    }

                    break;
                default:
                    throw new ApiException(ApiErrorKind.Validation,
                        $"Unknown input '{input.Name}'; this model takes '{TextInput}' (BYTES [n,1]) and optionally '{ModalityInput}'.");
            }
        }

        return texts ?? throw new ApiException(ApiErrorKind.Validation, $"The request has no '{TextInput}' input; send the texts as BYTES [n,1].");
    }

    private static string? StringParameter(ModelInferRequest request, string name, params string[] allowed)
    {
        if (!request.Parameters.TryGetValue(name, out var parameter))
        {
            return null;
        }

        if (parameter.ParameterChoiceCase != InferParameter.ParameterChoiceOneofCase.StringParam)
        {
            throw new ApiException(ApiErrorKind.Validation, $"Parameter '{name}' must be a string, one of {string.Join(", ", allowed.Select(static a => $"'{a}'"))}.");
        }

        foreach (var value in allowed)
        {
            if (string.Equals(parameter.StringParam, value, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw new ApiException(ApiErrorKind.Validation,
            $"Parameter '{name}' must be one of {string.Join(", ", allowed.Select(static a => $"'{a}'"))}, not '{parameter.StringParam}'.");
    }

    private static int? IntParameter(ModelInferRequest request, string name)
    {
        if (!request.Parameters.TryGetValue(name, out var parameter))
        {
            return null;
        }

        long value = parameter.ParameterChoiceCase switch
        {
            InferParameter.ParameterChoiceOneofCase.Int64Param => parameter.Int64Param,
            InferParameter.ParameterChoiceOneofCase.Uint64Param when parameter.Uint64Param <= int.MaxValue => (long)parameter.Uint64Param,
            InferParameter.ParameterChoiceOneofCase.StringParam when long.TryParse(parameter.StringParam, out var parsed) => parsed,
            _ => throw new ApiException(ApiErrorKind.Validation, $"Parameter '{name}' must be an integer."),
        };
        if (value is < 1 or > int.MaxValue)
        {
            throw new ApiException(ApiErrorKind.Validation, $"Parameter '{name}' must be a positive integer, not {value}.");
        }

        return (int)value;
    }

    private static ModelMetadataResponse Metadata(string name, string version)
    {
        var metadata = new ModelMetadataResponse { Name = name, Platform = Platform };
        metadata.Versions.Add(version);
        metadata.Inputs.Add(Tensor(TextInput, "BYTES", -1, 1));
        metadata.Outputs.Add(Tensor(EmbeddingsOutput, "FP32", -1, -1));
        metadata.Outputs.Add(Tensor(TokenCountOutput, "INT32", -1));
        return metadata;
    }

    private static ModelMetadataResponse.Types.TensorMetadata Tensor(string name, string datatype, params long[] shape)
    {
        var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = name, Datatype = datatype };
        tensor.Shape.Add(shape);
        return tensor;
    }

    private static ModelConfig Config(string name, int maxBatchSize)
    {
        // Dims exclude the batch dimension (max_batch_size > 0), as in Triton's model configuration.
        var config = new ModelConfig { Name = name, Platform = Platform, Backend = Platform, MaxBatchSize = maxBatchSize };
        config.Input.Add(new ModelInput { Name = TextInput, DataType = DataType.TypeString, Dims = { 1 } });
        config.Output.Add(new ModelOutput { Name = EmbeddingsOutput, DataType = DataType.TypeFp32, Dims = { -1 } });
        config.Output.Add(new ModelOutput { Name = TokenCountOutput, DataType = DataType.TypeInt32, Dims = { 1 } });
        return config;
    }
}
