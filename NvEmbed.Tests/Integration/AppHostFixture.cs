using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Integration;

/// <summary>
/// The AppHost's topology started through Aspire.Hosting.Testing (<c>Projects.NvEmbed_AppHost</c>): 2 replicas of each
/// service, the dashboard (its telemetry API is how the trace test reads spans), free public ports moved in with
/// <c>NIM_HTTP_API_PORT</c> / <c>NIM_GRPC_API_PORT</c>, serving a tiny generated model of the target architecture with the
/// real Llama 3 tokenizer. One start (40–60 s here) is shared by every test of <see cref="AppHostCollection"/>; tests
/// that break a replica bring it back before they end.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    /// <summary>Replicas of each service.</summary>
    public const int Replicas = 2;

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(6);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "nvembed-it-" + Guid.NewGuid().ToString("N")[..8]);
    private DistributedApplication? _app;

    /// <summary>The running application.</summary>
    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app is not started. This is a bug.");

    /// <summary>The gateway's public HTTP address.</summary>
    public Uri Gateway { get; private set; } = null!;

    /// <summary>The gateway's public gRPC (KServe) address.</summary>
    public Uri GatewayGrpc { get; private set; } = null!;

    /// <summary>The dashboard's address and the key of its telemetry API.</summary>
    public Uri Dashboard { get; private set; } = null!;

    /// <summary>The key the dashboard's telemetry API wants in <c>x-api-key</c>.</summary>
    public string DashboardApiKey { get; } = Guid.NewGuid().ToString("N");

    /// <summary>How long the start took, from build to a healthy gateway.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>The served model directory.</summary>
    public string ModelDir => Path.Combine(_root, "model");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(s_startTimeout);
        await WorkerCommand.CreateTinyModelAsync(ModelDir);
        var httpPort = FreePort.Next();
        var grpcPort = FreePort.Next();
        var dashboardPort = FreePort.Next();
        var otlpPort = FreePort.Next();
        string[] args =
        [
            $"NVEMBED_MODEL_DIR={ModelDir}",
            $"NVEMBED_TOKENIZER_REPLICAS={Replicas}",
            $"NVEMBED_INFERENCE_REPLICAS={Replicas}",
            $"NVEMBED_API_REPLICAS={Replicas}",
            $"NIM_HTTP_API_PORT={httpPort}",
            $"NIM_GRPC_API_PORT={grpcPort}",
            $"ASPNETCORE_URLS=http://127.0.0.1:{dashboardPort}",
            $"ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{otlpPort}",
            "ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            $"AppHost:DashboardApiKey={DashboardApiKey}",
        ];

        var started = Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.NvEmbed_AppHost>(
            args, (options, _) => options.DisableDashboard = false, cts.Token);
        _app = await builder.BuildAsync(cts.Token);
        await _app.StartAsync(cts.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cts.Token);
        StartTime = started.Elapsed;
        Gateway = new Uri($"http://127.0.0.1:{httpPort}");
        GatewayGrpc = new Uri($"http://127.0.0.1:{grpcPort}");
        // The testing builder randomizes the dashboard's port too; the resource knows where it is.
        Dashboard = _app.GetEndpoint("aspire-dashboard", "http");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }

    /// <summary>The names of a service's replicas: <c>inference-0</c>, <c>inference-1</c>.</summary>
    public static string[] ReplicaNames(string service) => [.. Enumerable.Range(0, Replicas).Select(i => $"{service}-{i}")];

    /// <summary>The loopback address of a resource's endpoint.</summary>
    public Uri Endpoint(string resource, string endpoint = "http") => App.GetEndpoint(resource, endpoint);

    /// <summary>The id of the service process of <paramref name="resource"/> (under DCP's <c>dotnet run</c>).</summary>
    public int ServiceProcessId(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"no resource {resource}");
        var pid = state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
        Assert.True(pid is not null, $"{resource} has no process id");
        return ProcessTree.Leaf(Convert.ToInt32(pid, CultureInfo.InvariantCulture));
    }

    /// <summary>Starts a resource that a test stopped or killed, and waits until it is healthy again.</summary>
    public async Task RestartAsync(string resource, CancellationToken cancellationToken)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        Assert.True(result.Success, $"starting {resource} failed: {result.Message}");
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);
    }
}

/// <summary>Tests that share one running AppHost (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
