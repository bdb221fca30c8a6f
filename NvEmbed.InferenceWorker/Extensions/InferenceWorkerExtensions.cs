using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NvEmbed.Contracts.Hosting;
using NvEmbed.InferenceWorker.Batching;
using NvEmbed.InferenceWorker.Grpc;
using NvEmbed.ServiceDefaults;

namespace NvEmbed.InferenceWorker.Extensions;

/// <summary>Wires the inference worker's services and endpoints.</summary>
public static class InferenceWorkerExtensions
{
    /// <summary>
    /// Adds the worker's options (<see cref="InferenceWorkerOptions"/>, <see cref="SchedulerOptions"/>,
    /// validated at start), the model loader, the runtime that loads and warms up the model in the
    /// background, the scheduler's metrics, the readiness check and the gRPC service.
    /// </summary>
    public static IHostApplicationBuilder AddInferenceWorkerServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<InferenceWorkerOptions>()
            .BindConfiguration(InferenceWorkerOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                // The names every NvEmbed service and the NIM read, mapped onto the options in this one place.
                if (string.IsNullOrWhiteSpace(options.ModelDir))
                {
                    options.ModelDir = NullIfEmpty(configuration["NVEMBED_MODEL_DIR"]);
                }

                options.CacheDir ??= NullIfEmpty(configuration["NIM_CACHE_PATH"]);
                options.CustomModelPath ??= NullIfEmpty(configuration["NIM_CUSTOM_MODEL"]);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<SchedulerOptions>()
            .BindConfiguration(SchedulerOptions.SectionName)
            .PostConfigure<IConfiguration, IOptions<InferenceWorkerOptions>>((options, configuration, worker) =>
            {
                if (configuration[SchedulerOptions.SectionName + ":MaxBatchTokens"] is null
                    && string.Equals(worker.Value.ExecutionProvider, "cpu", StringComparison.OrdinalIgnoreCase))
                {
                    options.MaxBatchTokens = SchedulerOptions.CpuMaxBatchTokens;
                }

                // NIM 2.x names: how long a batch may wait to fill, and how many inputs it may hold.
                if (configuration[SchedulerOptions.SectionName + ":MaxBatchWait"] is null
                    && double.TryParse(configuration["NIM_SERVER_MAX_WAIT_MS"], System.Globalization.CultureInfo.InvariantCulture, out var waitMs))
                {
                    options.MaxBatchWait = TimeSpan.FromMilliseconds(waitMs);
                }

                if (configuration[SchedulerOptions.SectionName + ":MaxBatchRows"] is null
                    && int.TryParse(configuration["NIM_PIPELINE_MAX_BATCH_SIZE"], System.Globalization.CultureInfo.InvariantCulture, out var rows))
                {
                    options.MaxBatchRows = rows;
                }
            })
            .ValidateDataAnnotations()
            .Validate(o => o.MaxQueueTokens >= o.MaxBatchTokens, "InferenceWorker:Batching:MaxQueueTokens must be at least MaxBatchTokens.")
            .Validate(o => o.MaxBatchWait >= TimeSpan.Zero && o.MaxBatchWait <= TimeSpan.FromSeconds(1), "InferenceWorker:Batching:MaxBatchWait must be between 0 and 1 second.")
            .ValidateOnStart();

        services.AddNvEmbedGrpcServer(ServiceDefaultsExtensions.ReadyTag, InferenceGrpcService.ServiceName);
        services.AddMetrics();
        services.TryAddSingleton<SchedulerMetrics>();
        services.TryAddSingleton<IModelLoader, OnnxModelLoader>();
        services.TryAddSingleton<InferenceRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<InferenceRuntime>());
        services.TryAddSingleton<InferenceGrpcService>();
        services.AddHealthChecks().AddCheck<InferenceReadinessHealthCheck>("inference-model", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Maps the <c>nvembed.inference.v1.Inference</c> service (Embed, ModelInfo) and grpc.health.v1, which answers
    /// NOT_SERVING (for the server and for the service) until the model is loaded and warmed up: it runs the same
    /// readiness check as <c>/health/ready</c> (<see cref="InferenceReadinessHealthCheck"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapInferenceWorker(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<InferenceGrpcService>();
        app.MapNvEmbedGrpcHealth();
        return app;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
