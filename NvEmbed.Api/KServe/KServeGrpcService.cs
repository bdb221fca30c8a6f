using System.Diagnostics;
using System.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Embedding;
using NvEmbed.Api.Errors;
using NvEmbed.Api.KServe.V2;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.ModelRepository;

namespace NvEmbed.Api.KServe;

/// <summary>
/// The NIM's gRPC surface: the KServe v2 (Triton) protocol that tritonclient and nv-ingest speak, served by grpc-dotnet
/// on the <c>grpc</c> endpoint (the NIM's port 8001). One model, under each served name in gRPC form
/// (<see cref="ServedModelNames.GrpcForm"/>); input <c>text</c> BYTES [n,1]; parameters <c>input_type</c>, <c>truncate</c>,
/// <c>dimensions</c>; outputs <c>embeddings</c> FP32 [n,dim] and <c>token_count</c> INT32 [n,1] as raw little-endian
/// buffers. Server metadata, model statistics and the repository index are served; the methods that load models, share
/// memory or change trace and log settings answer UNIMPLEMENTED with a message that says so.
/// </summary>
public sealed class KServeGrpcService(
    BackendState backends,
    EmbeddingService embeddings,
    ModelServingSettings settings,
    KServeStatistics statistics,
    IOptionsMonitor<ApiOptions> options,
    ILogger<KServeGrpcService> logger) : GRPCInferenceService.GRPCInferenceServiceBase
{
    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "inference.GRPCInferenceService";

    /// <summary>The input tensor holding the texts.</summary>
    public const string TextInput = "text";

    /// <summary>The optional input tensor naming each text's modality (only "text" is served).</summary>
    public const string ModalityInput = "modality";

    /// <summary>The FP32 [n,dim] output.</summary>
    public const string EmbeddingsOutput = "embeddings";

    /// <summary>The INT32 [n,1] output: tokens per input.</summary>
    public const string TokenCountOutput = "token_count";

    /// <summary>The platform and backend reported by metadata and config.</summary>
    public const string Platform = "nvembed";

    /// <summary>The server name in ServerMetadata.</summary>
    public const string ServerName = "nvembed";

    /// <summary>
    /// The protocol extensions ServerMetadata lists: Triton's statistics, and its model-repository extension (the index;
    /// load and unload answer UNIMPLEMENTED, as Triton's do when model control is off: NvEmbed loads its one model at start).
    /// </summary>
    public static readonly IReadOnlyList<string> Extensions = ["statistics", "model_repository"];

    private static readonly string s_version =
        typeof(KServeGrpcService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override async Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        new() { Ready = await backends.IsReadyAsync(context.CancellationToken) };

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = ServerName, Version = s_version };
        response.Extensions.AddRange(Extensions);
        return Task.FromResult(response);
    }

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        GuardAsync(context, async () =>
        {
            if (!await backends.IsReadyAsync(context.CancellationToken))
            {
                return new ModelReadyResponse { Ready = false };
            }

            var model = await backends.GetModelAsync(context.CancellationToken);
            return new ModelReadyResponse { Ready = model.Find(request.Name) is not null && VersionServed(request.Version) };
        });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        GuardAsync(context, async () =>
        {
            var name = await ResolveAsync(request.Name, request.Version, context.CancellationToken);
            return Metadata(ServedModelNames.GrpcForm(name), options.CurrentValue.ModelVersion);
        });

    public override Task<ModelConfigResponse> ModelConfig(ModelConfigRequest request, ServerCallContext context) =>
        GuardAsync(context, async () =>
        {
            var name = await ResolveAsync(request.Name, request.Version, context.CancellationToken);
            return new ModelConfigResponse { Config = Config(ServedModelNames.GrpcForm(name), options.CurrentValue.MaxBatchSize) };
        });

    public override Task<ModelStatisticsResponse> ModelStatistics(ModelStatisticsRequest request, ServerCallContext context) =>
        GuardAsync(context, async () =>
        {
            var version = options.CurrentValue.ModelVersion;
            string name;
            if (request.Name.Length == 0)
            {
                // Every model: the one model, under its primary name.
                name = (await backends.GetModelAsync(context.CancellationToken)).PrimaryName;
            }
            else
            {
                name = await ResolveAsync(request.Name, request.Version, context.CancellationToken);
            }

            return new ModelStatisticsResponse { ModelStats = { statistics.Snapshot(ServedModelNames.GrpcForm(name), version) } };
        });

    public override Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context) =>
        GuardAsync(context, async () =>
        {
            var ready = await backends.IsReadyAsync(context.CancellationToken);
            var response = new RepositoryIndexResponse();
            if (request.Ready && !ready)
            {
                return response;
            }

            // The names come from the worker; while it does not answer, the index is the configured names or empty.
            IReadOnlyList<string> names;
            try
            {
                names = (await backends.GetModelAsync(context.CancellationToken)).ServedNames;
            }
            catch (ApiException) when (!ready)
            {
                names = options.CurrentValue.ServedModelNameList;
            }

            foreach (var name in names)
            {
                response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex
                {
                    Name = ServedModelNames.GrpcForm(name),
                    Version = options.CurrentValue.ModelVersion,
                    State = ready ? "READY" : "UNAVAILABLE",
                    Reason = ready ? string.Empty : "The tokenizer or the inference worker is not ready.",
                });
            }

            return response;
        });

    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context) =>
        GuardAsync(context, () => InferAsync(request, context));

    public override Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requestStream, IServerStreamWriter<ModelStreamInferResponse> responseStream, ServerCallContext context) =>
        throw Unimplemented("ModelStreamInfer", "streaming inference is not served; call ModelInfer (unary) for each batch");

    public override Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context) =>
        throw Unimplemented("RepositoryModelLoad", "the model is loaded at start (NVEMBED_MODEL_DIR) and cannot be loaded or replaced at run time");

    public override Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context) =>
        throw Unimplemented("RepositoryModelUnload", "the model is loaded at start and cannot be unloaded at run time");

    public override Task<SystemSharedMemoryStatusResponse> SystemSharedMemoryStatus(SystemSharedMemoryStatusRequest request, ServerCallContext context) =>
        throw Unimplemented("SystemSharedMemoryStatus", SharedMemory);

    public override Task<SystemSharedMemoryRegisterResponse> SystemSharedMemoryRegister(SystemSharedMemoryRegisterRequest request, ServerCallContext context) =>
        throw Unimplemented("SystemSharedMemoryRegister", SharedMemory);

    public override Task<SystemSharedMemoryUnregisterResponse> SystemSharedMemoryUnregister(SystemSharedMemoryUnregisterRequest request, ServerCallContext context) =>
        throw Unimplemented("SystemSharedMemoryUnregister", SharedMemory);

    public override Task<CudaSharedMemoryStatusResponse> CudaSharedMemoryStatus(CudaSharedMemoryStatusRequest request, ServerCallContext context) =>
        throw Unimplemented("CudaSharedMemoryStatus", SharedMemory);

    public override Task<CudaSharedMemoryRegisterResponse> CudaSharedMemoryRegister(CudaSharedMemoryRegisterRequest request, ServerCallContext context) =>
        throw Unimplemented("CudaSharedMemoryRegister", SharedMemory);

    public override Task<CudaSharedMemoryUnregisterResponse> CudaSharedMemoryUnregister(CudaSharedMemoryUnregisterRequest request, ServerCallContext context) =>
        throw Unimplemented("CudaSharedMemoryUnregister", SharedMemory);

    public override Task<TraceSettingResponse> TraceSetting(TraceSettingRequest request, ServerCallContext context) =>
        throw Unimplemented("TraceSetting", "tracing is configured with OTEL_EXPORTER_OTLP_ENDPOINT, not over this protocol");

    public override Task<LogSettingsResponse> LogSettings(LogSettingsRequest request, ServerCallContext context) =>
        throw Unimplemented("LogSettings", "the log level is set with NIM_LOG_LEVEL at start, not over this protocol");

    private const string SharedMemory = "inputs and outputs travel in the messages (raw_input_contents); shared memory is not served";

    private static RpcException Unimplemented(string method, string why) =>
        new(new Status(StatusCode.Unimplemented, $"{ServiceName}/{method} is not implemented by NvEmbed: {why}."));

    private bool VersionServed(string version) =>
        version.Length == 0 || string.Equals(version, options.CurrentValue.ModelVersion, StringComparison.Ordinal);

    /// <summary>The served name <paramref name="requested"/> stands for; NotFound when it names no served model or version.</summary>
    private async Task<string> ResolveAsync(string requested, string version, CancellationToken cancellationToken) =>
        (await ResolveModelAsync(requested, version, cancellationToken)).Name;

    private async Task<(ModelSnapshot Model, string Name)> ResolveModelAsync(string requested, string version, CancellationToken cancellationToken)
    {
        var model = await backends.GetModelAsync(cancellationToken);
        if (model.Find(requested) is not { } name)
        {
            throw new ApiException(ApiErrorKind.NotFound,
                $"Request for unknown model: '{requested}' is not found; this server serves {string.Join(", ", model.ServedNames.Select(static n => $"'{ServedModelNames.GrpcForm(n)}'"))}.");
        }

        if (!VersionServed(version))
        {
            throw new ApiException(ApiErrorKind.NotFound,
                $"Request for unknown model: '{requested}' version {version} is not found; this server serves version {options.CurrentValue.ModelVersion}.");
        }

        return (model, name);
    }

    private async Task<TResponse> GuardAsync<TResponse>(ServerCallContext context, Func<Task<TResponse>> handler)
    {
        try
        {
            return await handler();
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // NOTE: a caller that went away or whose deadline passed is not an error (house style).
            throw new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled by the client or its deadline passed."));
        }
        catch (ApiException ex)
        {
            if (ex.Kind is ApiErrorKind.Backend or ApiErrorKind.Unavailable or ApiErrorKind.Timeout or ApiErrorKind.Overloaded or ApiErrorKind.QueueFull)
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

    private async Task<ModelInferResponse> InferAsync(ModelInferRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var limits = options.CurrentValue;
            var texts = ReadTexts(request);
            EmbeddingRules.CheckInputs(texts, limits.MaxBatchSize, TextInput);
            var (model, _) = await ResolveModelAsync(request.ModelName, request.ModelVersion, context.CancellationToken);
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
            // NOTE: grpc-dotnet reports "no deadline" as DateTime.MaxValue; the caller's deadline reaches the backends.
            var result = await embeddings.EmbedAsync(command, model, context.CancellationToken,
                context.Deadline == DateTime.MaxValue ? null : context.Deadline);

            var outputStarted = Stopwatch.GetTimestamp();
            var response = Response(request, result, limits.ModelVersion);
            response.Parameters["inference_time_ms"] = new InferParameter { DoubleParam = Stopwatch.GetElapsedTime(started).TotalMilliseconds };
            statistics.Succeeded(texts.Length, result.WorkerCalls, Stopwatch.GetElapsedTime(started), result.QueueTime,
                result.TokenizationTime, result.InferenceTime, Stopwatch.GetElapsedTime(outputStarted));
            return response;
        }
        catch (Exception ex) when (ex is ApiException or RpcException)
        {
            statistics.Failed(Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    private static ModelInferResponse Response(ModelInferRequest request, EmbedResult result, string version)
    {
        var response = new ModelInferResponse { ModelName = request.ModelName, ModelVersion = version, Id = request.Id };
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
                    // [n,1], as ModelConfig (dims [1]) and ModelMetadata ([-1,1]) say: tritonclient's as_numpy
                    // reshapes the raw buffer to this shape.
                    output.Datatype = "INT32";
                    output.Shape.Add([result.InputTokens.Count, 1]);
                    response.RawOutputContents.Add(TritonTensors.Int32s(result.InputTokens));
                    break;
                default:
                    throw new ApiException(ApiErrorKind.Validation,
                        $"Unknown output '{name}' requested; this model has outputs '{EmbeddingsOutput}' and '{TokenCountOutput}'.");
            }

            response.Outputs.Add(output);
        }

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
        metadata.Outputs.Add(Tensor(TokenCountOutput, "INT32", -1, 1));
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
