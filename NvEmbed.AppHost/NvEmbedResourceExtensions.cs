using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace NvEmbed.AppHost;

/// <summary>The few building blocks <see cref="NvEmbedTopology"/> reads in: model, replicas, endpoints, references.</summary>
public static class NvEmbedResourceExtensions
{
    /// <summary>Container port of an internal service's HTTP endpoint in the manifest (and deploy/kubernetes).</summary>
    public const int ClusterHttpPort = 8080;

    /// <summary>Container port of an internal service's gRPC endpoint in the manifest (and deploy/kubernetes).</summary>
    public const int ClusterGrpcPort = 8081;

    /// <summary>
    /// The model directory: <c>NVEMBED_MODEL_DIR</c> when set; otherwise the embedded default, generated (once, then
    /// cached in <c>NIM_CACHE_PATH</c>, else <c>$XDG_CACHE_HOME/nvembed</c>, else <c>~/.cache/nvembed</c>) by the
    /// <c>model</c> resource, which the dashboard shows with its progress lines and its exit code. In the manifest: the
    /// <c>model-dir</c> parameter.
    /// </summary>
    public static ModelDirectory AddModel(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new ModelDirectory(creator: null, builder.AddParameter("model-dir"));
        }

        if (builder.Configuration["NVEMBED_MODEL_DIR"] is { Length: > 0 } configured)
        {
            var directory = Path.GetFullPath(configured);
            return Directory.Exists(directory)
                ? new ModelDirectory(directory)
                : throw new DirectoryNotFoundException($"NVEMBED_MODEL_DIR points at '{directory}', which does not exist.");
        }

        // create-model --default is idempotent: it returns at once when the cache holds the model, and prints its directory.
        var creator = builder.AddProject<Projects.NvEmbed_InferenceWorker>("model", o => o.ExcludeLaunchProfile = true)
            .WithArgs("create-model", "--default", "--out", Path.Combine(CacheRoot(builder.Configuration), "models"))
            .WithEnvironment("ORT_DISABLE_TELEMETRY", "1")
            .ExcludeFromManifest();
        var model = new ModelDirectory(creator, parameter: null);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var logs = e.Services.GetRequiredService<ResourceLoggerService>();
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = model.WatchCreatorAsync(logs, stopping);
            return Task.CompletedTask;
        });
        return model;
    }

    /// <summary>Gives the service <c>NVEMBED_MODEL_DIR</c>; it starts once the default model (if used) is ready.</summary>
    public static IResourceBuilder<ProjectResource> WithModel(this IResourceBuilder<ProjectResource> builder, ModelDirectory model)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(model);
        if (model.Parameter is { } parameter)
        {
            return builder.WithEnvironment("NVEMBED_MODEL_DIR", parameter);
        }

        builder.WithEnvironment("NVEMBED_MODEL_DIR", model);
        return model.Creator is { } creator ? builder.WaitForCompletion(creator) : builder;
    }

    /// <summary>
    /// Adds <paramref name="count"/> replicas of a service as separate resources (<c>name</c> when one,
    /// <c>name-0</c> .. <c>name-(count-1)</c> otherwise), each configured by <paramref name="configure"/>.
    /// </summary>
    public static ServiceReplicas AddReplicas<TProject>(
        this IDistributedApplicationBuilder builder, string name, int count, Action<IResourceBuilder<ProjectResource>> configure)
        where TProject : IProjectMetadata, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var replicas = new List<IResourceBuilder<ProjectResource>>(count);
        for (var i = 0; i < count; i++)
        {
            var replica = builder.AddProject<TProject>(count == 1 ? name : $"{name}-{i}", o => o.ExcludeLaunchProfile = true);
            configure(replica);
            replicas.Add(replica);
        }

        return new ServiceReplicas(name, replicas);
    }

    /// <summary>
    /// Adds the Kestrel endpoint <paramref name="name"/> (HTTP/1.1, or HTTP/2 cleartext for gRPC) and sets
    /// <c>Kestrel__Endpoints__{name}__Url/Protocols</c> for it. Without <paramref name="port"/> it is a loopback
    /// endpoint on a port DCP picks (in the manifest: 8080 for HTTP, 8081 for gRPC); with one it is public: bound on
    /// every interface at that fixed port.
    /// Not proxied: callers reach the process itself (see the AppHost section of the README).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(
        this IResourceBuilder<ProjectResource> builder, string name, bool http2 = false, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var isPublic = port is not null;
        var publishing = builder.ApplicationBuilder.ExecutionContext.IsPublishMode;
        builder.WithEndpoint(name, e =>
        {
            e.UriScheme = "http";
            e.Transport = http2 ? "http2" : "http";
            e.IsProxied = false;
            e.IsExternal = isPublic;
            e.Port = port;
            // In a cluster every pod has its own address, so fixed container ports are fine (and match deploy/kubernetes).
            e.TargetPort = port ?? (publishing ? (http2 ? ClusterGrpcPort : ClusterHttpPort) : null);
        }, createIfNotExists: true);

        // Kestrel reads these; the endpoints are kept out of ASPNETCORE_URLS, which cannot say HTTP/2-only.
        var endpoint = builder.GetEndpoint(name);
        var host = isPublic || publishing ? "*" : "localhost";
        return builder
            .WithEndpointsInEnvironment(static _ => false)
            .WithEnvironment($"Kestrel__Endpoints__{name}__Url", ReferenceExpression.Create($"http://{host}:{endpoint.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment($"Kestrel__Endpoints__{name}__Protocols", http2 ? "Http2" : "Http1");
    }

    /// <summary>
    /// Gives the service one address per replica of <paramref name="target"/>, as
    /// <c>services__{service}__{endpoint}__{i}</c>, and starts it once every replica is healthy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithReplicaReferences(
        this IResourceBuilder<ProjectResource> builder, ServiceReplicas target, string endpointName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(target);
        for (var i = 0; i < target.Replicas.Count; i++)
        {
            var replica = target.Replicas[i];
            builder.WithEnvironment($"services__{target.Service}__{endpointName}__{i}", replica.GetEndpoint(endpointName))
                .WithReferenceRelationship(replica)
                .WaitFor(replica);
        }

        return builder;
    }

    /// <summary>Logs where NvEmbed answers once the gateway is healthy.</summary>
    public static IResourceBuilder<ProjectResource> WithReadyMessage(this IResourceBuilder<ProjectResource> gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        gateway.OnResourceReady((resource, e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NvEmbed");
            var http = gateway.GetEndpoint("http").Port;
            var grpc = gateway.GetEndpoint("grpc").Port;
            logger.LogInformation(
                "NvEmbed is ready at http://localhost:{HttpPort} (KServe gRPC on port {GrpcPort}); Ctrl-C stops every service. Try:\n" +
                "  curl -s http://localhost:{HttpPort}/v1/embeddings -H 'Content-Type: application/json' " +
                "-d '{{\"input\": [\"What is NvEmbed?\"], \"model\": \"nvidia/llama-3.2-nv-embedqa-1b-v2\", \"input_type\": \"query\"}}'",
                http, grpc, http);
            return Task.CompletedTask;
        });
        return gateway;
    }

    /// <summary>
    /// Logs on the AppHost's console when a resource fails to start or exits with a non-zero code while the application
    /// runs (the model generation, a service that cannot load its model), so a user without the dashboard open sees why
    /// NvEmbed does not become ready. The resource's own console log is in the dashboard.
    /// </summary>
    public static IDistributedApplicationBuilder WithFailureReports(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NvEmbed");
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = ReportFailuresAsync(notifications, logger, stopping);
            return Task.CompletedTask;
        });
        return builder;
    }

    private static async Task ReportFailuresAsync(ResourceNotificationService notifications, ILogger logger, CancellationToken stopping)
    {
        var reported = new HashSet<(string, string?, int?)>();
        try
        {
            await foreach (var update in notifications.WatchAsync(stopping).ConfigureAwait(false))
            {
                var state = update.Snapshot.State?.Text;
                var exitCode = update.Snapshot.ExitCode;
                var failed = state == KnownResourceStates.FailedToStart || exitCode is not (null or 0);
                if (failed && !stopping.IsCancellationRequested && reported.Add((update.ResourceId, state, exitCode)))
                {
                    logger.LogError("{Resource} {State} (exit code {ExitCode}); its console log is in the dashboard.",
                        update.Resource.Name, state, exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The application is stopping.
        }
    }

    private static string CacheRoot(IConfiguration configuration)
    {
        if (configuration["NIM_CACHE_PATH"] is { Length: > 0 } nimCache)
        {
            return nimCache;
        }

        var xdg = configuration["XDG_CACHE_HOME"];
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "nvembed");
    }
}
