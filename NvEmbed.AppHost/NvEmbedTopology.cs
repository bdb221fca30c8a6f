using NvEmbed.AppHost.Hosting;

namespace NvEmbed.AppHost;

/// <summary>
/// The NvEmbed topology, read top to bottom: one model directory; tokenizer and inference workers
/// that load it and speak gRPC; Api replicas that use both; the gateway, the only public endpoint.
/// </summary>
public static class NvEmbedTopology
{
    /// <summary>Adds the services to <paramref name="builder"/>.</summary>
    public static void Add(DistributedApplicationBuilder builder)
    {
        // NVEMBED_MODEL_DIR, or the embedded default model (generated once into the cache).
        var model = builder.AddModel();

        var tokenizer = builder.AddProject("tokenizer")
            .WithHttpEndpoint()
            .WithGrpcEndpoint()
            .WithModel(model)
            .WithReplicas(builder.GetInt("NVEMBED_TOKENIZER_REPLICAS", 1));

        // Loading and warming up the model can take a while on a small machine.
        var inference = builder.AddProject("inference")
            .WithHttpEndpoint()
            .WithGrpcEndpoint()
            .WithModel(model)
            .WithReplicas(builder.GetInt("NVEMBED_INFERENCE_REPLICAS", 1))
            .WithHealthCheck("/health/ready", TimeSpan.FromMinutes(10));

        // The grpc endpoint serves the NIM's KServe v2 (Triton) protocol (NIM port 8001).
        var api = builder.AddProject("api")
            .WithHttpEndpoint()
            .WithGrpcEndpoint()
            .WithReference(tokenizer, "grpc")
            .WithReference(inference, "grpc")
            .WithReplicas(builder.GetInt("NVEMBED_API_REPLICAS", 1))
            .WithHealthCheck("/v1/health/ready");

        builder.AddProject("gateway")
            .WithHttpEndpoint(port: builder.GetInt("NIM_HTTP_API_PORT", 8000), isExternal: true)
            .WithReference(api, "http")
            .WithHealthCheck("/gateway/health/live");
    }
}
