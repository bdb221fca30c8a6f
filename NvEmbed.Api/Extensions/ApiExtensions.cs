using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Embedding;
using NvEmbed.Api.Errors;
using NvEmbed.Api.KServe;
using NvEmbed.Api.Metrics;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Hosting;
using NvEmbed.Contracts.ModelRepository;
using NvEmbed.ServiceDefaults;

namespace NvEmbed.Api.Extensions;

/// <summary>The Api's wiring: options, backends, services, middleware and routes.</summary>
public static class ApiExtensions
{
    /// <summary>Adds the Api's options (NIM variables mapped in), backend clients and services.</summary>
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        NimEnvironment.Map(builder.Configuration);
        var services = builder.Services;
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.SectionName)
            .Validate(static o => o.MaxBatchSize > 0, "Api:MaxBatchSize (NIM_TRITON_MAX_BATCH_SIZE) must be positive.")
            .Validate(static o => o.MaxQueueSize > 0, "Api:MaxQueueSize (NIM_SERVER_MAX_QUEUE_SIZE) must be positive.")
            .Validate(static o => o.MaxSequenceLength >= 0, "Api:MaxSequenceLength (NIM_TRITON_MAX_SEQ_LENGTH) must not be negative.")
            .Validate(static o => o.RequestTimeoutSeconds > 0, "Api:RequestTimeoutSeconds (NIM_SERVER_REQUEST_TIMEOUT_S) must be positive.")
            .Validate(static o => o.MaxRequestBodyBytes is > 0 and < int.MaxValue, "Api:MaxRequestBodyBytes (NIM_SERVER_HTTP_BODY_LIMIT_BYTES) must be positive and below 2 GiB.")
            .Validate(static o => o.MaxTokensPerWorkerCall >= 0, "Api:MaxTokensPerWorkerCall must not be negative.")
            .Validate(static o => o.ModelInfoRefreshSeconds > 0 && o.ReadinessProbeTimeoutSeconds > 0, "Api refresh and probe times must be positive.")
            .Validate(static o => o.RetryAfterSeconds >= 0, "Api:RetryAfterSeconds must not be negative.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp =>
            sp.GetRequiredService<IOptions<ApiOptions>>().Value.ModelDirectory is { Length: > 0 } dir
                ? ModelServingSettings.Load(dir)
                : new ModelServingSettings());
        services.AddBackendClients(builder.Configuration);
        services.AddSingleton<BackendState>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<ApiMetrics>();
        services.AddSingleton<EmbeddingService>();
        services.AddSingleton<KServeStatistics>();
        // NOTE: grpc-dotnet's catch-all for unknown gRPC services ({service}/{method}) also matches HTTP paths such as
        // GET /v1/embeddings and hides ASP.NET Core's 405 there. Without it an unknown service gets HTTP 404, which gRPC
        // clients read as UNIMPLEMENTED; unknown methods of the KServe service still answer UNIMPLEMENTED themselves.
        services.AddNvEmbedGrpcServer(ServiceDefaultsExtensions.ReadyTag, KServeGrpcService.ServiceName);
        services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(o => o.IgnoreUnknownServices = true);
        services.AddHealthChecks().AddCheck<BackendHealthCheck>("backends", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Maps the NIM's gRPC surface, KServe v2 (<see cref="KServeGrpcService"/>), and grpc.health.v1 (SERVING while the
    /// tokenizer and a worker serve the same model, as <c>/v1/health/ready</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapKServeGrpc(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<KServeGrpcService>();
        app.MapNvEmbedGrpcHealth();
        return app;
    }

    /// <summary>Adds the error middleware: every failure below it is answered in its surface's shape.</summary>
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app) => app.UseMiddleware<ApiErrorMiddleware>();
}
