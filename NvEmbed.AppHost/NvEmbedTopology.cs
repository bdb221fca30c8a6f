using Microsoft.Extensions.Configuration;

namespace NvEmbed.AppHost;

/// <summary>
/// The NvEmbed topology, read top to bottom: the model directory; tokenizer and inference workers that
/// load it and speak gRPC; Api replicas that use both; the gateway, which holds the public ports.
/// </summary>
public static class NvEmbedTopology
{
    /// <summary>Public HTTP port of the gateway (the NIM's <c>NIM_HTTP_API_PORT</c>).</summary>
    public const int DefaultHttpPort = 8000;

    /// <summary>Public gRPC (KServe v2) port (the NIM's <c>NIM_GRPC_API_PORT</c>).</summary>
    public const int DefaultGrpcPort = 8001;

    /// <summary>Adds the services to <paramref name="builder"/>.</summary>
    public static void Add(IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;

        // NVEMBED_MODEL_DIR, or the embedded default model, generated once into the cache by the worker's create-model.
        var model = builder.AddModel();

        var tokenizers = builder.AddReplicas<Projects.NvEmbed_Tokenizer>("tokenizer", Count(configuration, "NVEMBED_TOKENIZER_REPLICAS"), replica => replica
            .WithServiceEndpoint("http")
            .WithServiceEndpoint("grpc", http2: true)
            .WithModel(model)
            .WithHttpHealthCheck("/health/ready", endpointName: "http"));

        var workers = builder.AddReplicas<Projects.NvEmbed_InferenceWorker>("inference", Count(configuration, "NVEMBED_INFERENCE_REPLICAS"), replica => replica
            .WithServiceEndpoint("http")
            .WithServiceEndpoint("grpc", http2: true)
            .WithModel(model)
            .WithEnvironment("ORT_DISABLE_TELEMETRY", "1")
            .WithHttpHealthCheck("/health/ready", endpointName: "http"));

        // The grpc endpoint serves the NIM's KServe v2 (Triton) protocol; the gateway publishes it on NIM_GRPC_API_PORT.
        var apis = builder.AddReplicas<Projects.NvEmbed_Api>("api", Count(configuration, "NVEMBED_API_REPLICAS"), replica => replica
            .WithServiceEndpoint("http")
            .WithServiceEndpoint("grpc", http2: true)
            .WithReplicaReferences(tokenizers, "grpc")
            .WithReplicaReferences(workers, "grpc")
            .WithHttpHealthCheck("/v1/health/ready", endpointName: "http"));

        builder.AddProject<Projects.NvEmbed_Gateway>("gateway", o => o.ExcludeLaunchProfile = true)
            .WithServiceEndpoint("http", port: Port(configuration, "NIM_HTTP_API_PORT", DefaultHttpPort))
            .WithServiceEndpoint("grpc", http2: true, port: Port(configuration, "NIM_GRPC_API_PORT", DefaultGrpcPort))
            .WithReplicaReferences(apis, "http")
            .WithReplicaReferences(apis, "grpc")
            .WithHttpHealthCheck("/gateway/health/ready", endpointName: "http")
            .WithReadyMessage();
    }

    private static int Count(IConfiguration configuration, string key) =>
        int.TryParse(configuration[key], out var count) && count > 0 ? count : 1;

    private static int Port(IConfiguration configuration, string key, int fallback) =>
        int.TryParse(configuration[key], out var port) && port is > 0 and < 65536 ? port : fallback;
}
